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
 *   GET    /admin/keys[?limit=&after=&principal=]   a page of API keys (never secrets or hashes)
 *   POST   /admin/keys               create one: { principal, groups?, expiresAt? } → the key, once
 *   DELETE /admin/keys/<id>          revoke one (effective at once)
 *   GET    /admin/policies           the authorization rules in force (config file, then runtime)
 *   POST   /admin/policies           add a rule at runtime (body: one policies[] entry with a name)
 *   DELETE /admin/policies/<name>    remove a runtime rule
 *   GET    /admin/pins               pinned tool definitions; changed ones with `offered` and `quarantined`
 *   POST   /admin/pins/<upstream>/<tool>/approve   accept the offered definition (lifts the quarantine)
 *   GET    /admin/policies/explain?principal=P&group=G&tool=T (or prompt, resource, agent, skill; upstream)
 *
 * Access: an admin principal — the admin token (`admin.token`, or the one the gateway generated
 * into `admin.tokenFile`), or a credential whose principal or group is listed in `auth.admins`.
 * Where a request comes from grants nothing: a web page on the same machine is a local client too.
 * Writes must be sent as `application/json` (the catalog import: any type a browser cannot send
 * cross-site without asking first), so a page cannot post a "simple" cross-site request.
 */
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
import type { GatewayCore } from '../gateway/core.js';
import { GatewayError } from '../errors/index.js';
import { createKey, describeKey, keyPage } from '../policy/keys.js';
import { credentialFromHeader, isAdmin } from '../policy/principal.js';
import { RequestBody } from './body.js';
import { sendJson } from './respond.js';
import { clientAddress } from '../policy/client-address.js';

export async function handleAdmin(
  core: GatewayCore,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: RequestBody | undefined,
): Promise<void> {
  const request: AdminRequest = { req, body: body ?? EMPTY_BODY };
  if (req.method === 'GET') return serve(core, request, res, path);
  // Every change made through the admin API is an operation on the ledger too.
  const start = performance.now();
  const parts = path.split('/').filter(Boolean);
  const entry = {
    time: Date.now(),
    front: 'admin' as const,
    method: `${req.method} /admin/${parts[1] ?? ''}`,
    client: clientAddress(req, core.config.server.trustedProxies),
    ...(parts[2] ? { target: decodeURIComponent(parts.slice(2).join('/')) } : {}),
  };
  try {
    await serve(core, request, res, path);
    core.ledger?.append({
      ...entry,
      principal: adminName(req),
      outcome: 'ok',
      latencyMs: performance.now() - start,
    });
  } catch (err) {
    core.ledger?.append({
      ...entry,
      principal: principals.get(req),
      outcome: 'error',
      errorCode: err instanceof GatewayError ? err.code : 'SWY_INTERNAL',
      latencyMs: performance.now() - start,
    });
    throw err;
  }
}

interface AdminRequest {
  req: IncomingMessage;
  body: RequestBody;
}

const EMPTY_BODY = new RequestBody(Buffer.alloc(0), 0);

async function serve(core: GatewayCore, request: AdminRequest, res: ServerResponse, path: string) {
  const { req } = request;
  const parts = path.split('/').filter(Boolean); // ['admin', 'upstreams', name?]
  const resource = parts[1];
  if (req.method === 'POST') {
    const importing = resource === 'catalog' && parts[2] === 'import';
    requireMediaType(req, importing ? 'not-simple' : 'json');
  }
  await authorize(core, req);
  if (resource === 'upstreams' && parts.length === 2) {
    if (req.method === 'GET') return sendJson(res, 200, { upstreams: core.status() });
    if (req.method === 'POST') return sendJson(res, 201, await core.admin.addUpstream(readJson(request)));
  }
  if (resource === 'keys' && parts.length === 2) {
    if (req.method === 'GET') {
      const query = new URL(req.url ?? '/', 'http://admin').searchParams;
      return sendJson(res, 200, await keyPage(core.store.apiKeys, query));
    }
    if (req.method === 'POST') {
      const spec = keySpec(readJson(request));
      const { key, record } = await createKey(core.store.apiKeys, spec);
      return sendJson(res, 201, { ...describeKey(record), key });
    }
  }
  if (resource === 'keys' && parts.length === 3 && req.method === 'DELETE') {
    const id = decodeURIComponent(parts[2]!);
    if (!(await core.store.apiKeys.revoke(id, Date.now())))
      throw new GatewayError('SWY_KEY_NOT_FOUND', { id });
    core.auth.keys.forget(id);
    res.writeHead(204).end();
    return;
  }
  if (resource === 'upstreams' && parts.length === 3 && req.method === 'DELETE') {
    await core.admin.removeUpstream(decodeURIComponent(parts[2]!));
    res.writeHead(204).end();
    return;
  }
  if (resource === 'catalog') return catalog(core, request, res, parts);
  if (resource === 'bom' && parts.length === 2 && req.method === 'GET') return bom(core, req, res);
  if (resource === 'tools' && parts.length === 2 && req.method === 'GET') {
    const routes = core.routes();
    const tools = routes.tools.map((t) => {
      const r = routes.tool(String(t.name))!;
      return { name: t.name, upstream: r.upstream.name, upstreamName: r.name, description: t.description };
    });
    return sendJson(res, 200, { tools, collisions: routes.collisions });
  }
  if (resource === 'pins' && parts.length === 2 && req.method === 'GET') {
    await core.pins.settled();
    const pins = (await core.store.pins.list()).map((p) => ({
      upstream: p.upstream,
      tool: p.tool,
      hash: p.hash,
      pinnedAt: new Date(p.pinnedAt).toISOString(),
      ...(p.pendingHash
        ? { offered: { hash: p.pendingHash, definition: JSON.parse(p.pendingDefinition!) as unknown } }
        : {}),
      quarantined: core.pins.isQuarantined(p.upstream, p.tool),
    }));
    return sendJson(res, 200, { pins });
  }
  if (resource === 'pins' && parts.length === 5 && parts[4] === 'approve' && req.method === 'POST') {
    const upstream = decodeURIComponent(parts[2]!);
    const tool = decodeURIComponent(parts[3]!);
    const by = adminName(req);
    if (!(await core.pins.approve(upstream, tool, by)))
      throw new GatewayError('SWY_NOTHING_TO_APPROVE', { upstream, tool });
    return sendJson(res, 200, { approved: { upstream, tool } });
  }
  if (resource === 'policies' && req.method === 'GET') {
    if (parts.length === 2)
      return sendJson(res, 200, { policies: core.config.policies, runtime: core.authz.runtime });
    if (parts.length === 3 && parts[2] === 'explain') return sendJson(res, 200, explain(core, req));
  }
  if (resource === 'policies' && parts.length === 2 && req.method === 'POST') {
    return sendJson(res, 201, { added: await core.admin.addPolicy(readJson(request)) });
  }
  if (resource === 'policies' && parts.length === 3 && req.method === 'DELETE') {
    await core.admin.removePolicy(decodeURIComponent(parts[2]!));
    res.writeHead(204).end();
    return;
  }
  throw new GatewayError('SWY_NOT_FOUND', { path });
}

async function catalog(core: GatewayCore, request: AdminRequest, res: ServerResponse, parts: string[]) {
  const { req } = request;
  if (parts.length === 2 && req.method === 'GET')
    return sendJson(res, 200, catalogReport(await core.bomSource()));
  if (parts.length === 2 && req.method === 'POST') {
    const input = readJson(request);
    const added = await core.admin.addCatalogEntries(Array.isArray(input) ? input : [input]);
    return sendJson(res, 201, { added: added.map((e) => e.name) });
  }
  if (parts.length === 3 && parts[2] === 'import' && req.method === 'POST') {
    const added = await core.admin.addCatalogEntries([importEntry(req, request.body)]);
    return sendJson(res, 201, { added: added.map((e) => e.name) });
  }
  if (parts.length === 3 && parts[2] === 'check' && req.method === 'GET') {
    const { verdicts } = await core.bomSource();
    return sendJson(res, 200, { ok: verdicts.every((v) => v.verdict !== 'refuse'), verdicts });
  }
  if (parts.length === 3) {
    const name = decodeURIComponent(parts[2]!);
    if (req.method === 'GET') {
      const entry = (await core.bomSource()).view.get(name);
      if (!entry) throw new GatewayError('SWY_CATALOG_NOT_FOUND', { name });
      return sendJson(res, 200, entrySummary(entry));
    }
    if (req.method === 'DELETE') {
      await core.admin.removeCatalogEntry(name);
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
  sendJson(res, 200, doc, { 'content-type': type });
}

/** The body is the file itself: a card (README.md), a ModelPack config or a MOT file. */
function importEntry(req: IncomingMessage, body: RequestBody): unknown {
  const text = body.text();
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
    if (format === 'modelpack') return importModelPack(parseJson(body), { name, source });
    if (format === 'mot') return { ...importMot(text, { source }), ...(name ? { name } : {}) };
  } catch (err) {
    if (err instanceof ImportError) throw new GatewayError('SWY_CATALOG_INVALID', { detail: err.message });
    throw err;
  }
  throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: 'format must be huggingface, modelpack or mot' });
}

function parseJson(body: RequestBody): unknown {
  try {
    return body.json();
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'SWY_PARSE_ERROR')
      throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: `invalid JSON: ${err.params.detail}` });
    throw err;
  }
}

/** The media types a web page can send cross-site without a CORS preflight (Fetch §CORS-safelisted). */
const SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/** Writes must declare JSON (or, for raw files, at least a type a page cannot send unasked). */
function requireMediaType(req: IncomingMessage, want: 'json' | 'not-simple'): void {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  const ok = want === 'json' ? type === 'application/json' : type !== '' && !SIMPLE_TYPES.has(type);
  if (!ok) {
    const expected =
      want === 'json' ? 'application/json' : "the file's own type (e.g. text/markdown, application/yaml)";
    throw new GatewayError('SWY_UNSUPPORTED_MEDIA_TYPE', { expected });
  }
}

function explain(core: GatewayCore, req: IncomingMessage) {
  const q = new URL(req.url ?? '/', 'http://admin').searchParams;
  const principal = q.get('principal');
  const kinds = (['tool', 'prompt', 'resource', 'agent', 'skill'] as const).filter((k) => q.has(k));
  if (!principal || kinds.length !== 1) {
    throw new GatewayError('SWY_ADMIN_BAD_REQUEST', {
      detail: 'give principal and exactly one of tool, prompt, resource, agent, skill',
    });
  }
  const kind = kinds[0]!;
  const name = q.get(kind)!;
  let upstream = q.get('upstream') ?? undefined;
  let alias: string | undefined;
  if (!upstream && (kind === 'tool' || kind === 'prompt')) {
    const route = kind === 'tool' ? core.routes().tool(name) : core.routes().prompt(name);
    upstream = route?.upstream.name;
    alias = route?.name;
  }
  const target = { kind, name, ...(alias ? { alias } : {}), ...(upstream ? { upstream } : {}) };
  const who = { name: principal, groups: q.getAll('group'), via: 'api-key' as const };
  return { target, ...core.authz.rules.explain(who, target) };
}

const principals = new WeakMap<IncomingMessage, string>();

/** Who made an admin request (recorded with approvals). */
function adminName(req: IncomingMessage): string {
  return principals.get(req) ?? 'admin';
}

async function authorize(core: GatewayCore, req: IncomingMessage): Promise<void> {
  const cred = credentialFromHeader(req.headers.authorization);
  const { auth } = core.config;
  if (cred.bearer === undefined) throw new GatewayError('SWY_ADMIN_UNAUTHORIZED');
  const principal = await core.auth.authenticate(cred).catch((err: unknown) => {
    if (err instanceof GatewayError && err.status === 401) throw new GatewayError('SWY_ADMIN_UNAUTHORIZED');
    throw err;
  });
  if (!isAdmin(principal, auth.admins))
    throw new GatewayError('SWY_ADMIN_NOT_ADMIN', { principal: principal.name });
  principals.set(req, principal.name);
}

function readJson(request: AdminRequest): unknown {
  return parseJson(request.body);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
/** The latest time a Date can hold (ECMA-262 §21.4.1.22). */
const MAX_TIME = 8.64e15;

function keySpec(input: unknown): { principal: string; groups: string[]; expiresAt: number | null } {
  const o = (input ?? {}) as Record<string, unknown>;
  const bad = (detail: string) => new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail });
  if (typeof input !== 'object' || Array.isArray(input)) throw bad('expected an object');
  for (const k of Object.keys(o))
    if (!['principal', 'groups', 'expiresAt'].includes(k)) throw bad(`${k}: unknown key`);
  if (typeof o.principal !== 'string' || !NAME.test(o.principal)) throw bad('principal: expected a name');
  const groups = o.groups ?? [];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string' && NAME.test(g)))
    throw bad('groups: expected a list of names');
  let expiresAt: number | null = null;
  if (o.expiresAt !== undefined && o.expiresAt !== null) {
    expiresAt = typeof o.expiresAt === 'number' ? o.expiresAt : Date.parse(String(o.expiresAt));
    // The range a Date can hold: anything else could be stored but never shown again.
    if (!Number.isFinite(expiresAt) || expiresAt < 0 || expiresAt > MAX_TIME)
      throw bad('expiresAt: expected an ISO time or epoch milliseconds');
  }
  return { principal: o.principal, groups: groups as string[], expiresAt };
}
