/**
 * The gateway as an OAuth 2.1 resource server (MCP authorization 2025-11-25): its resource
 * identifier and the Protected Resource Metadata document (RFC 9728), served at
 * `/.well-known/oauth-protected-resource` and at the path-specific `…/mcp` variant.
 */
import type { Config } from '../config/schema.js';

/** The MCP endpoint's public URL: configured, or derived from the listener. */
export function resourceUrl(cfg: Config): string {
  if (cfg.auth.oauth?.resource) return cfg.auth.oauth.resource;
  const host = cfg.server.host.includes(':') ? `[${cfg.server.host}]` : cfg.server.host;
  return `http://${host}:${cfg.server.port}/mcp`;
}

/** RFC 9728 §3.1: the well-known path inserted between the host and the resource's path. */
export function resourceMetadataUrl(cfg: Config): string {
  const u = new URL(resourceUrl(cfg));
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}/.well-known/oauth-protected-resource${path}`;
}

export const METADATA_PATHS = [
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
];

export function protectedResourceMetadata(cfg: Config): Record<string, unknown> | undefined {
  const oauth = cfg.auth.oauth;
  if (!oauth) return undefined;
  return {
    resource: resourceUrl(cfg),
    authorization_servers: oauth.authorizationServers,
    ...(oauth.scopesSupported ? { scopes_supported: oauth.scopesSupported } : {}),
    bearer_methods_supported: ['header'],
    resource_name: cfg.server.name,
  };
}
