/**
 * Routing: which upstream serves a downstream request, and with which params.
 *
 * Tool and prompt names are looked up in the federated route table and rewritten to the name the
 * upstream knows; resource URIs are routed unchanged; completions follow their reference. Methods
 * the gateway answers itself (lists, ping, logging level, subscriptions, reads of its own
 * switchyard:// resources) route to local handlers.
 */
import { isGatewayResource } from '../catalog/resources.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import type { RouteTable } from '../mcp/federation/route-table.js';
import type { TaskDirectory } from '../mcp/federation/tasks.js';
import type { Backend } from '../mcp/upstream/backend.js';
import { GatewayError } from '../errors/index.js';

export type Local =
  | 'ping'
  | 'tasks/list'
  | 'tools/list'
  | 'prompts/list'
  | 'resources/list'
  | 'resources/templates/list'
  | 'logging/setLevel'
  | 'resources/subscribe'
  | 'resources/unsubscribe'
  /** Only for the gateway's own resources (switchyard://…); others route upstream. */
  | 'resources/read';

export type Target =
  | { kind: 'local'; method: Local }
  | {
      kind: 'upstream';
      upstream: Backend;
      params: JsonObject | undefined;
      /** What the client named (tool/prompt name, URI). */
      target?: string;
      /** What the upstream calls it. */
      upstreamTarget?: string;
    };

const LOCAL = new Set<string>([
  'ping',
  'tasks/list',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);

export function route(
  routes: RouteTable,
  method: string,
  params: JsonObject | undefined,
  tasks: { session: string; directory: TaskDirectory },
): Target {
  if (LOCAL.has(method)) return { kind: 'local', method: method as Local };
  switch (method) {
    case 'tasks/get':
    case 'tasks/result':
    case 'tasks/cancel': {
      // The task id names its upstream; only the session that created the task may use it.
      const r = tasks.directory.route(tasks.session, params);
      const upstream = routes.upstream(r.upstream);
      if (!upstream) {
        throw new GatewayError('SWY_UPSTREAM_UNAVAILABLE', { upstream: r.upstream, detail: 'not connected' });
      }
      return {
        kind: 'upstream',
        upstream,
        params: r.params,
        target: String(params!.taskId),
        upstreamTarget: String(r.params.taskId),
      };
    }
    case 'tools/call': {
      const name = requireString(params, 'name');
      const r = routes.tool(name);
      if (!r) throw notFound(routes, 'SWY_TOOL_NOT_FOUND', name);
      return {
        kind: 'upstream',
        upstream: r.upstream,
        params: rename(params!, 'name', r.name),
        target: name,
        upstreamTarget: r.name,
      };
    }
    case 'prompts/get': {
      const name = requireString(params, 'name');
      const r = routes.prompt(name);
      if (!r) throw notFound(routes, 'SWY_PROMPT_NOT_FOUND', name);
      return {
        kind: 'upstream',
        upstream: r.upstream,
        params: rename(params!, 'name', r.name),
        target: name,
        upstreamTarget: r.name,
      };
    }
    case 'resources/read': {
      const uri = requireString(params, 'uri');
      if (isGatewayResource(uri)) return { kind: 'local', method: 'resources/read' };
      const upstream = routes.resource(uri);
      if (!upstream) throw new GatewayError('SWY_RESOURCE_NOT_FOUND', { uri });
      return { kind: 'upstream', upstream, params, target: uri, upstreamTarget: uri };
    }
    case 'completion/complete':
      return routeCompletion(routes, params);
    default:
      throw new GatewayError('SWY_METHOD_NOT_FOUND', { method });
  }
}

/** MCP §Completion: the reference is a prompt (by name) or a resource template (by URI). */
function routeCompletion(routes: RouteTable, params: JsonObject | undefined): Target {
  const ref = params?.ref as JsonObject | undefined;
  if (!ref || typeof ref !== 'object')
    throw new GatewayError('SWY_INVALID_PARAMS', { detail: 'ref is required' });
  if (ref.type === 'ref/prompt') {
    const name = requireString(ref, 'name', 'ref.name');
    const r = routes.prompt(name);
    if (!r) throw notFound(routes, 'SWY_PROMPT_NOT_FOUND', name);
    return {
      kind: 'upstream',
      upstream: r.upstream,
      params: { ...params, ref: { ...ref, name: r.name } },
      target: name,
      upstreamTarget: r.name,
    };
  }
  if (ref.type === 'ref/resource') {
    const uri = requireString(ref, 'uri', 'ref.uri');
    const upstream = routes.template(uri) ?? routes.resource(uri);
    if (!upstream) throw new GatewayError('SWY_RESOURCE_NOT_FOUND', { uri });
    return { kind: 'upstream', upstream, params, target: uri, upstreamTarget: uri };
  }
  throw new GatewayError('SWY_INVALID_PARAMS', { detail: 'ref.type must be "ref/prompt" or "ref/resource"' });
}

/** A name nobody offers now: if a down upstream offered it, say so, naming the upstream. */
function notFound(
  routes: RouteTable,
  code: 'SWY_TOOL_NOT_FOUND' | 'SWY_PROMPT_NOT_FOUND',
  name: string,
): GatewayError {
  const down = routes.unavailable(name);
  if (!down) return new GatewayError(code, { name });
  return new GatewayError('SWY_UPSTREAM_UNAVAILABLE', {
    upstream: down.name,
    detail: down.state === 'stopped' ? 'it was removed' : (down.lastError ?? down.state),
  });
}

function requireString(obj: JsonObject | undefined, key: string, label = key): string {
  const v = obj?.[key];
  if (typeof v !== 'string')
    throw new GatewayError('SWY_INVALID_PARAMS', { detail: `${label} must be a string` });
  return v;
}

function rename(params: JsonObject, key: string, value: string): JsonObject {
  return params[key] === value ? params : { ...params, [key]: value };
}
