/**
 * DNS-rebinding and cross-origin protection for the MCP endpoint (MCP 2025-11-25 §Security
 * Warning: servers MUST validate the Origin header; bind to localhost when running locally).
 *
 * Defaults: Origin must be a loopback origin (or absent — non-browser clients send none); when the
 * gateway listens on a loopback address, Host must name a loopback host too, which is what defeats
 * DNS rebinding. Both lists can be set explicitly in config.
 */
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `example.com:8080` → `example.com`; `[::1]:80` → `[::1]` */
function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const i = hostHeader.lastIndexOf(':');
  return i === -1 ? hostHeader : hostHeader.slice(0, i);
}

export function checkHostAndOrigin(req: IncomingMessage, server: Config['server']): void {
  const host = req.headers.host ?? '';
  if (server.allowedHosts) {
    if (!server.allowedHosts.includes(host) && !server.allowedHosts.includes(hostnameOf(host))) {
      throw new GatewayError('SWY_HOST_FORBIDDEN', { host: host || '(none)' });
    }
  } else if (isLoopbackHost(server.host) && !isLoopbackHost(hostnameOf(host).toLowerCase())) {
    throw new GatewayError('SWY_HOST_FORBIDDEN', { host: host || '(none)' });
  }

  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (server.allowedOrigins) {
    if (!server.allowedOrigins.includes(origin)) throw new GatewayError('SWY_ORIGIN_FORBIDDEN', { origin });
    return;
  }
  let ok = false;
  try {
    const u = new URL(origin);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && isLoopbackHost(u.hostname);
  } catch {
    ok = false;
  }
  if (!ok) throw new GatewayError('SWY_ORIGIN_FORBIDDEN', { origin });
}
