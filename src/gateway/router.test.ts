import { describe, expect, it } from 'vitest';
import { fakeBackend, tool } from '../../test/support/fakes.js';
import { GatewayError } from '../errors/index.js';
import { buildRouteTable } from '../mcp/federation/route-table.js';
import { TaskDirectory } from '../mcp/federation/tasks.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import { route, type Target } from './router.js';

const docs = fakeBackend('docs', {
  tools: [tool('search'), tool('fetch')],
  prompts: [{ name: 'summarize' }],
  resources: [{ uri: 'file:///docs/readme.md', name: 'readme' }],
  resourceTemplates: [{ uriTemplate: 'file:///docs/{path}', name: 'doc' }],
});
const code = fakeBackend('code', {
  tools: [tool('search')],
  resources: [{ uri: 'git://repo/main', name: 'main' }],
});
const down = fakeBackend('broken', { tools: [tool('repair')] }, { state: 'restarting' });
const routes = buildRouteTable([docs, code, down], '.');

function routed(method: string, params?: JsonObject, tasks = new TaskDirectory(), session = 's1'): Target {
  return route(routes, method, params, { session, directory: tasks });
}

/** The error code a routing attempt fails with. */
function refusal(method: string, params?: JsonObject, tasks?: TaskDirectory, session?: string): string {
  try {
    routed(method, params, tasks, session);
  } catch (err) {
    if (err instanceof GatewayError) return err.code;
    throw err;
  }
  throw new Error(`${method} was routed`);
}

describe('route', () => {
  it('sends what the gateway answers itself to its local handlers', () => {
    for (const method of [
      'ping',
      'tools/list',
      'prompts/list',
      'resources/list',
      'resources/templates/list',
      'tasks/list',
      'logging/setLevel',
      'resources/subscribe',
      'resources/unsubscribe',
    ]) {
      expect(routed(method, {})).toEqual({ kind: 'local', method });
    }
    expect(routed('resources/read', { uri: 'switchyard://catalog' })).toEqual({
      kind: 'local',
      method: 'resources/read',
    });
  });

  it('routes a tool call to the upstream that offers it, under the name the upstream knows', () => {
    const t = routed('tools/call', {
      name: 'code.search',
      arguments: { q: 'x' },
      _meta: { progressToken: 7 },
    });
    expect(t).toEqual({
      kind: 'upstream',
      upstream: code,
      params: { name: 'search', arguments: { q: 'x' }, _meta: { progressToken: 7 } },
      target: 'code.search',
      upstreamTarget: 'search',
    });
    expect(routed('tools/call', { name: 'docs.search' })).toMatchObject({
      upstream: docs,
      upstreamTarget: 'search',
    });
  });

  it('routes prompts/get by name, rewritten like tools', () => {
    expect(routed('prompts/get', { name: 'docs.summarize', arguments: { n: '3' } })).toEqual({
      kind: 'upstream',
      upstream: docs,
      params: { name: 'summarize', arguments: { n: '3' } },
      target: 'docs.summarize',
      upstreamTarget: 'summarize',
    });
  });

  it('routes resources/read by URI, unchanged: listed URIs first, then templates', () => {
    expect(routed('resources/read', { uri: 'git://repo/main' })).toEqual({
      kind: 'upstream',
      upstream: code,
      params: { uri: 'git://repo/main' },
      target: 'git://repo/main',
      upstreamTarget: 'git://repo/main',
    });
    expect(routed('resources/read', { uri: 'file:///docs/guide.md' })).toMatchObject({
      upstream: docs,
      upstreamTarget: 'file:///docs/guide.md',
    });
  });

  it('routes completion/complete by its reference: a prompt by name, a template by URI', () => {
    expect(
      routed('completion/complete', {
        ref: { type: 'ref/prompt', name: 'docs.summarize' },
        argument: { name: 'n', value: '1' },
      }),
    ).toEqual({
      kind: 'upstream',
      upstream: docs,
      params: { ref: { type: 'ref/prompt', name: 'summarize' }, argument: { name: 'n', value: '1' } },
      target: 'docs.summarize',
      upstreamTarget: 'summarize',
    });
    expect(
      routed('completion/complete', { ref: { type: 'ref/resource', uri: 'file:///docs/{path}' } }),
    ).toMatchObject({ upstream: docs, target: 'file:///docs/{path}' });
    expect(refusal('completion/complete', { ref: { type: 'ref/tool', name: 'x' } })).toBe(
      'SWY_INVALID_PARAMS',
    );
    expect(refusal('completion/complete', {})).toBe('SWY_INVALID_PARAMS');
  });

  it('says which name is unknown, and which upstream is down when a down upstream offered it', () => {
    expect(refusal('tools/call', { name: 'docs.nothing' })).toBe('SWY_TOOL_NOT_FOUND');
    expect(refusal('prompts/get', { name: 'docs.nothing' })).toBe('SWY_PROMPT_NOT_FOUND');
    expect(refusal('tools/call', { name: 'broken.repair' })).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(() => routed('tools/call', { name: 'broken.repair' })).toThrow(/Upstream "broken" is unavailable/);
    // Two upstreams with resources: a URI neither lists nor matches is nobody's.
    expect(refusal('resources/read', { uri: 'http://elsewhere/x' })).toBe('SWY_RESOURCE_NOT_FOUND');
  });

  it('refuses malformed params and unknown methods', () => {
    expect(refusal('tools/call', {})).toBe('SWY_INVALID_PARAMS');
    expect(refusal('tools/call', { name: 42 })).toBe('SWY_INVALID_PARAMS');
    expect(refusal('resources/read', undefined)).toBe('SWY_INVALID_PARAMS');
    expect(refusal('sampling/createMessage', {})).toBe('SWY_METHOD_NOT_FOUND');
  });

  it('routes a task request to the upstream named in the task id, for the session that created it only', () => {
    const tasks = new TaskDirectory();
    const created = tasks.toClient('docs', { task: { taskId: 't-1' } }, 's1');
    const taskId = (created.task as JsonObject).taskId as string;
    expect(taskId).toBe('docs:t-1');
    expect(routed('tasks/get', { taskId }, tasks, 's1')).toEqual({
      kind: 'upstream',
      upstream: docs,
      params: { taskId: 't-1' },
      target: 'docs:t-1',
      upstreamTarget: 't-1',
    });
    expect(refusal('tasks/result', { taskId }, tasks, 's2')).toBe('SWY_INVALID_PARAMS');
    expect(refusal('tasks/cancel', { taskId: 'docs:never' }, tasks, 's1')).toBe('SWY_INVALID_PARAMS');
    // The upstream that owns it is no longer connected.
    const gone = tasks.toClient('broken', { task: { taskId: 't-2' } }, 's1');
    expect(refusal('tasks/get', { taskId: (gone.task as JsonObject).taskId }, tasks, 's1')).toBe(
      'SWY_UPSTREAM_UNAVAILABLE',
    );
  });
});
