/**
 * The HTTP listener and its mounts:
 *
 *   /mcp          the MCP endpoint (Streamable HTTP)          → mcp/front/http.ts
 *   /a2a/…        A2A agents, their cards and the agent directory; the gateway's card at
 *                 /.well-known/agent-card.json                  → a2a/front.ts
 *   /healthz      the process is up
 *   /readyz       store open, listening, required upstreams up; every upstream's state
 *   /metrics      Prometheus metrics
 *   /admin/…      the admin API                                → admin.ts
 *   /.well-known/oauth-protected-resource[/mcp]   RFC 9728 metadata (with auth.oauth) → policy/oauth.ts
 *
 * Every request, on every mount, first passes the same guards: Host/Origin (guards.ts), a path
 * that decodes, and the body reader's size and depth limits (body.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { A2aFront } from '../a2a/front.js';
import type { GatewayCore } from '../gateway/core.js';
import { GatewayError } from '../errors/index.js';
import { sendError, type HttpFront } from '../mcp/front/http.js';
import { METADATA_PATHS, protectedResourceMetadata } from '../policy/oauth.js';
import { handleAdmin } from './admin.js';
import { readRequestBody, type RequestBody } from './body.js';
import { checkHostAndOrigin } from './guards.js';
import { sendJson } from './respond.js';

export function createHttpServer(core: GatewayCore, mcp: HttpFront): Server {
  const { headersTimeoutMs, requestTimeoutMs } = core.config.server;
  // Timeouts are enforced by a periodic sweep; sweep often enough for the shortest one.
  const sweep = Math.max(50, Math.min(5_000, Math.floor(headersTimeoutMs / 4)));
  const server = createServer({ connectionsCheckingInterval: sweep }, (req, res) => {
    route(core, mcp, req, res).catch((err: unknown) => {
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

type Mount = 'mcp' | 'a2a' | 'admin' | 'other';

function mountOf(path: string): Mount {
  if (path === '/mcp' || path === '/mcp/') return 'mcp';
  if (A2aFront.handles(path)) return 'a2a';
  if (path === '/admin' || path.startsWith('/admin/')) return 'admin';
  return 'other';
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function route(core: GatewayCore, mcp: HttpFront, req: IncomingMessage, res: ServerResponse) {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const mount = mountOf(path);

  // The guards every request passes, whatever it is for: DNS rebinding and cross-site callers
  // (Host, Origin), a path that decodes, and the body under its size and depth limits.
  let body: RequestBody | undefined;
  try {
    checkHostAndOrigin(req, core.config.server);
    checkPath(path);
    if (BODY_METHODS.has(req.method ?? '')) {
      const { maxBodyBytes, maxJsonDepth } = core.config.server;
      body = await readRequestBody(req, { maxBytes: maxBodyBytes, maxDepth: maxJsonDepth });
    }
  } catch (err) {
    // Each front answers in its own protocol's error shape.
    if (mount === 'a2a') return core.a2a.refuse(res, path, err);
    throw err;
  }

  switch (mount) {
    case 'mcp':
      return mcp.handle(req, res, body);
    case 'a2a':
      return core.a2a.handle(req, res, path, query, body);
    case 'admin':
      if (core.config.admin.enabled) return handleAdmin(core, req, res, path, body);
      break;
    case 'other':
      return serveOther(core, res, path);
  }
  throw new GatewayError('SWY_NOT_FOUND', { path });
}

/** /healthz, /readyz, /metrics and the OAuth metadata. */
async function serveOther(core: GatewayCore, res: ServerResponse, path: string): Promise<void> {
  if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
  if (METADATA_PATHS.includes(path)) {
    const doc = protectedResourceMetadata(core.config);
    if (doc) return sendJson(res, 200, doc);
  }
  if (path === '/readyz') {
    const upstreams = core.status();
    const ready = core.ready;
    const waiting = core.waitingFor();
    return sendJson(res, ready ? 200 : 503, {
      status: ready ? 'ready' : core.draining ? 'draining' : 'starting',
      ...(waiting.length ? { waitingFor: waiting } : {}),
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
  throw new GatewayError('SWY_NOT_FOUND', { path });
}

/** Names in paths are percent-encoded; an escape that does not decode is the client's error. */
function checkPath(path: string): void {
  if (!path.includes('%')) return;
  try {
    decodeURIComponent(path);
  } catch {
    throw new GatewayError('SWY_BAD_PATH');
  }
}
