/**
 * The admin API, under /admin: upstreams at runtime (persisted in the store).
 *
 *   GET    /admin/upstreams          every upstream with its state
 *   POST   /admin/upstreams          add one (body: an `upstreams[]` entry of the config)
 *   DELETE /admin/upstreams/<name>   remove one added here
 *   GET    /admin/tools              the federated tool list with routes
 *   GET    /admin/catalog            AI artifact catalog entries and license-policy verdicts
 *   POST   /admin/catalog            add entries (body: one entry or an array; all or nothing)
 *   POST   /admin/catalog/import?format=huggingface|modelpack|mot[&name=…]   import a card (raw body)
 *   GET    /admin/catalog/check      the license-policy verdict of every upstream
 *   GET    /admin/catalog/<name>     one entry (URL-encode the name: org%2Fmodel)
 *   DELETE /admin/catalog/<name>     remove an entry added here
 *   GET    /admin/bom?format=cyclonedx|spdx[&upstream=NAME]   an AI bill of materials
 *
 * Access: with `admin.token` set, a matching bearer token; without, loopback clients only.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ImportError,
  buildCycloneDx,
  buildSpdx,
  catalogReport,
  entrySummary,
  importHuggingFaceCard,
  importModelPack,
  importMot,
} from '../catalog/index.js';
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
      return json(res, 201, await core.addUpstream(parseJson(body)));
    }
  }
  if (resource === 'upstreams' && parts.length === 3 && req.method === 'DELETE') {
    await core.removeUpstream(decodeURIComponent(parts[2]!));
    res.writeHead(204).end();
    return;
  }
  if (resource === 'catalog') return catalog(core, req, res, parts);
  if (resource === 'bom' && parts.length === 2 && req.method === 'GET') return bom(core, req, res);
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

async function catalog(core: GatewayCore, req: IncomingMessage, res: ServerResponse, parts: string[]) {
  if (parts.length === 2 && req.method === 'GET')
    return json(res, 200, catalogReport(await core.bomSource()));
  if (parts.length === 2 && req.method === 'POST') {
    const input = parseJson(await readBody(req, core.config.server.maxBodyBytes));
    const added = await core.addCatalogEntries(Array.isArray(input) ? input : [input]);
    return json(res, 201, { added: added.map((e) => e.name) });
  }
  if (parts.length === 3 && parts[2] === 'import' && req.method === 'POST') {
    const text = (await readBody(req, core.config.server.maxBodyBytes)).toString('utf8');
    const added = await core.addCatalogEntries([importEntry(req, text)]);
    return json(res, 201, { added: added.map((e) => e.name) });
  }
  if (parts.length === 3 && parts[2] === 'check' && req.method === 'GET') {
    const { verdicts } = await core.bomSource();
    return json(res, 200, { ok: verdicts.every((v) => v.verdict !== 'refuse'), verdicts });
  }
  if (parts.length === 3) {
    const name = decodeURIComponent(parts[2]!);
    if (req.method === 'GET') {
      const entry = (await core.bomSource()).view.get(name);
      if (!entry) throw new GatewayError('SWY_CATALOG_NOT_FOUND', { name });
      return json(res, 200, entrySummary(entry));
    }
    if (req.method === 'DELETE') {
      await core.removeCatalogEntry(name);
      res.writeHead(204).end();
      return;
    }
  }
  throw new GatewayError('SWY_NOT_FOUND', { path: parts.join('/') });
}

async function bom(core: GatewayCore, req: IncomingMessage, res: ServerResponse) {
  const query = new URL(req.url ?? '/', 'http://gateway').searchParams;
  const format = query.get('format') ?? 'cyclonedx';
  if (format !== 'cyclonedx' && format !== 'spdx') {
    throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: 'format must be cyclonedx or spdx' });
  }
  const upstream = query.get('upstream');
  const source = await core.bomSource();
  if (upstream && !source.consumers.some((c) => c.name === upstream)) {
    throw new GatewayError('SWY_UPSTREAM_NOT_FOUND', { upstream });
  }
  const only = upstream ? { kind: 'upstream' as const, name: upstream } : undefined;
  const doc =
    format === 'cyclonedx' ? await buildCycloneDx(source, { only }) : await buildSpdx(source, { only });
  const type = format === 'cyclonedx' ? 'application/vnd.cyclonedx+json' : 'application/spdx+json';
  res.writeHead(200, { 'content-type': type }).end(JSON.stringify(doc));
}

/** The body is the file itself: a card (README.md), a ModelPack config or a MOT file. */
function importEntry(req: IncomingMessage, text: string): unknown {
  const query = new URL(req.url ?? '/', 'http://gateway').searchParams;
  const format = query.get('format');
  const name = query.get('name') ?? undefined;
  const source = 'request body';
  try {
    if (format === 'huggingface') {
      if (!name)
        throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: 'name (the repo id) is required' });
      const kind = query.get('kind');
      if (kind !== null && kind !== 'model' && kind !== 'dataset') {
        throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: 'kind must be model or dataset' });
      }
      return importHuggingFaceCard(text, {
        name,
        source,
        ...(kind ? { kind } : {}),
        ...(query.get('revision') ? { revision: query.get('revision')! } : {}),
      });
    }
    if (format === 'modelpack') return importModelPack(parseJson(Buffer.from(text)), { name, source });
    if (format === 'mot') return { ...importMot(text, { source }), ...(name ? { name } : {}) };
  } catch (err) {
    if (err instanceof ImportError) throw new GatewayError('SWY_CATALOG_INVALID', { detail: err.message });
    throw err;
  }
  throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: 'format must be huggingface, modelpack or mot' });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: `invalid JSON: ${(err as Error).message}` });
  }
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
