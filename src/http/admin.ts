/**
 * The admin API, under /admin: upstreams at runtime (persisted in the store).
 *
 *   GET    /admin/upstreams          every upstream with its state
 *   POST   /admin/upstreams          add one (body: an `upstreams[]` entry of the config)
 *   DELETE /admin/upstreams/<name>   remove one added here
 *   GET    /admin/tools              the federated tool list with routes
 *
 * Access: with `admin.token` set, a matching bearer token; without, loopback clients only.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayCore } from '../gateway/gateway.js';
import { GatewayError } from '../gateway/errors.js';
import { readBody } from './body.js';
import { isLoopbackHost } from './guards.js';

export async function handleAdmin(
  core: GatewayCore,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
) {
  authorize(core, req);
  const parts = path.split('/').filter(Boolean); // ['admin', 'upstreams', name?]
  const resource = parts[1];
  if (resource === 'upstreams' && parts.length === 2) {
    if (req.method === 'GET') return json(res, 200, { upstreams: core.status() });
    if (req.method === 'POST') {
      const body = await readBody(req, core.config.server.maxBodyBytes);
      let input: unknown;
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new GatewayError('SWY_ADMIN_BAD_REQUEST', {
          detail: `invalid JSON: ${(err as Error).message}`,
        });
      }
      return json(res, 201, await core.addUpstream(input));
    }
  }
  if (resource === 'upstreams' && parts.length === 3 && req.method === 'DELETE') {
    await core.removeUpstream(decodeURIComponent(parts[2]!));
    res.writeHead(204).end();
    return;
  }
  if (resource === 'tools' && parts.length === 2 && req.method === 'GET') {
    const catalog = core.catalog();
    const tools = catalog.tools.map((t) => {
      const r = catalog.tool(String(t.name))!;
      return { name: t.name, upstream: r.upstream.name, upstreamName: r.name, description: t.description };
    });
    return json(res, 200, { tools, collisions: catalog.collisions });
  }
  throw new GatewayError('SWY_NOT_FOUND', { path });
}

function authorize(core: GatewayCore, req: IncomingMessage): void {
  const token = core.config.admin.token;
  if (token) {
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new GatewayError('SWY_ADMIN_UNAUTHORIZED');
    return;
  }
  const remote = req.socket.remoteAddress ?? '';
  if (!isLoopbackHost(remote.replace(/^::ffff:/, ''))) throw new GatewayError('SWY_ADMIN_FORBIDDEN');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
