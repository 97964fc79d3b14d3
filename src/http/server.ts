/**
 * The HTTP listener and its mounts:
 *
 *   /mcp          the MCP endpoint (Streamable HTTP)          → mcp/front/http.ts
 *   /a2a/…        A2A agents, their cards and the agent catalog; the gateway's card at
 *                 /.well-known/agent-card.json                  → a2a/front.ts
 *   /healthz      the process is up
 *   /readyz       config loaded, store open, upstreams started
 *   /metrics      Prometheus metrics
 *   /admin/…      the admin API                                → admin.ts
 *   /.well-known/oauth-protected-resource[/mcp]   RFC 9728 metadata (with auth.oauth) → policy/oauth.ts
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { A2aFront } from '../a2a/front.js';
import type { GatewayCore } from '../gateway/gateway.js';
import { GatewayError } from '../gateway/errors.js';
import { sendError, type HttpFront } from '../mcp/front/http.js';
import { METADATA_PATHS, protectedResourceMetadata } from '../policy/oauth.js';
import { handleAdmin } from './admin.js';
import { readBody } from './body.js';
import { checkHostAndOrigin } from './guards.js';

export function createHttpServer(core: GatewayCore, mcp: HttpFront): Server {
  const { headersTimeoutMs, requestTimeoutMs } = core.config.server;
  // Timeouts are enforced by a periodic sweep; sweep often enough for the shortest one.
  const sweep = Math.max(50, Math.min(5_000, Math.floor(headersTimeoutMs / 4)));
  const server = createServer({ connectionsCheckingInterval: sweep }, (req, res) => {
    void route(core, mcp, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, err);
      else res.end();
      if (!(err instanceof GatewayError)) core.log.error({ err, path: req.url }, 'unhandled error');
    });
  });
  // Slow clients cannot hold a connection open forever while sending headers or a body.
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = Math.max(requestTimeoutMs, headersTimeoutMs);
  server.keepAliveTimeout = 65_000;
  return server;
}

async function route(core: GatewayCore, mcp: HttpFront, req: IncomingMessage, res: ServerResponse) {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/mcp' || path === '/mcp/') {
    checkHostAndOrigin(req, core.config.server);
    const body = req.method === 'POST' ? await readBody(req, core.config.server.maxBodyBytes) : undefined;
    return mcp.handle(req, res, body);
  }
  if (A2aFront.handles(path)) {
    checkHostAndOrigin(req, core.config.server);
    return core.a2a.handle(req, res, path, q === -1 ? '' : url.slice(q + 1));
  }
  if (path === '/healthz') return json(res, 200, { status: 'ok' });
  if (METADATA_PATHS.includes(path)) {
    const doc = protectedResourceMetadata(core.config);
    if (doc) return json(res, 200, doc);
  }
  if (path === '/readyz') {
    const upstreams = core.status();
    const ready = core.ready;
    return json(res, ready ? 200 : 503, {
      status: ready ? 'ready' : core.draining ? 'draining' : 'starting',
      store: core.store.kind,
      sessions: core.sessions.size,
      upstreams,
    });
  }
  if (path === '/metrics' && core.config.metrics.enabled) {
    core.metrics.sessions.set(core.sessions.size);
    const text = await core.metrics.text();
    res.writeHead(200, { 'content-type': core.metrics.registry.contentType }).end(text);
    return;
  }
  if ((path === '/admin' || path.startsWith('/admin/')) && core.config.admin.enabled) {
    return handleAdmin(core, req, res, path);
  }
  throw new GatewayError('SWY_NOT_FOUND', { path });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
