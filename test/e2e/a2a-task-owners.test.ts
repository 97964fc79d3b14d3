/**
 * Tasks of a proxied A2A agent belong to the principal that created them through the gateway,
 * although the agent behind it sees one caller. Bob cannot read, list, cancel, subscribe to,
 * configure pushes for, or continue Alice's task — on the A2A front (both bindings) or through
 * the bridged MCP tool — and ownership survives a restart. Admins see every task.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import { apiKeysFor, connect, startGateway, TEST_ADMIN_TOKEN, type TestGateway } from '../support/gateway.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('A2A proxy: tasks belong to the principal that created them', () => {
  let agent: A2aAgentFixture;
  let gw: TestGateway;
  let store: string;
  let base: string;
  let alice: string;
  let bob: string;
  let taskId: string;
  let contextId: string;

  const config = () => ({
    store,
    auth: { required: true },
    upstreams: [{ name: 'travel', a2a: { url: agent.url } }],
  });

  beforeAll(async () => {
    agent = await startA2aAgent();
    store = `sqlite:${join(mkdtempSync(join(tmpdir(), 'swy-owners-')), 'db.sqlite')}`;
    gw = await startGateway(config());
    base = gw.url.replace(/\/mcp$/, '');
    ({ alice, bob } = (await apiKeysFor(gw, 'alice', 'bob')) as { alice: string; bob: string });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await agent?.stop();
  });

  const rpc = async (method: string, params: Json, key: string) => {
    const res = await fetch(`${base}/a2a/travel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', authorization: `Bearer ${key}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    return (await res.json()) as Json;
  };
  const rest = async (method: string, path: string, key: string, body?: Json) => {
    const res = await fetch(`${base}/a2a/travel/rest${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', authorization: `Bearer ${key}` },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, text: await res.text() };
  };
  const message = (text: string, ids: Json = {}) => ({
    message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text }], ...ids },
  });
  const state = async (key: string) => (await rpc('GetTask', { id: taskId }, key)).result?.status?.state;

  it('a task Alice starts is hers: Bob gets TaskNotFound for every operation on it', async () => {
    const started = await rpc('SendMessage', message('ask'), alice);
    taskId = started.result.task.id;
    contextId = started.result.task.contextId;
    expect(started.result.task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');

    expect(await state(alice)).toBe('TASK_STATE_INPUT_REQUIRED');
    const notFound = -32001;
    expect((await rpc('GetTask', { id: taskId }, bob)).error?.code).toBe(notFound);
    expect((await rpc('CancelTask', { id: taskId }, bob)).error?.code).toBe(notFound);
    const hook = { taskId, id: 'h1', url: 'https://hooks.example/x', token: '' };
    expect((await rpc('CreateTaskPushNotificationConfig', hook, bob)).error?.code).toBe(notFound);
    expect((await rpc('ListTaskPushNotificationConfigs', { taskId }, bob)).error?.code).toBe(notFound);
    expect((await rpc('GetTaskPushNotificationConfig', { taskId, id: 'h1' }, bob)).error?.code).toBe(
      notFound,
    );
    expect((await rpc('DeleteTaskPushNotificationConfig', { taskId, id: 'h1' }, bob)).error?.code).toBe(
      notFound,
    );
    // HTTP+JSON too: read, cancel, subscribe.
    expect((await rest('GET', `/tasks/${taskId}`, bob)).status).toBe(404);
    expect((await rest('POST', `/tasks/${taskId}:cancel`, bob, {})).status).toBe(404);
    expect((await rest('POST', `/tasks/${taskId}:subscribe`, bob, {})).status).toBe(404);
    // Nothing Bob did reached the task.
    expect(agent.cancelled).not.toContain(taskId);
    expect(await state(alice)).toBe('TASK_STATE_INPUT_REQUIRED');
  });

  it('ListTasks shows each principal only their own tasks', async () => {
    const mine = await rpc('SendMessage', message('echo bobs'), bob);
    const ids = async (key: string) =>
      ((await rpc('ListTasks', {}, key)).result.tasks as Json[]).map((t) => t.id as string);
    expect(await ids(alice)).toContain(taskId);
    expect(await ids(alice)).not.toContain(mine.result.task.id);
    expect(await ids(bob)).toEqual([mine.result.task.id]);
  });

  it("Bob cannot answer Alice's INPUT_REQUIRED or join her context; Alice can", async () => {
    expect((await rpc('SendMessage', message('Paris', { taskId, contextId }), bob)).error?.code).toBe(-32001);
    expect((await rpc('SendMessage', message('echo joined', { contextId }), bob)).error?.code).toBe(-32001);
    expect(await state(alice)).toBe('TASK_STATE_INPUT_REQUIRED');
  });

  it("over MCP too: Bob's send_message with Alice's taskId is refused; hers continues the task", async () => {
    const mcp = async (key: string) =>
      (await connect(gw.url, {}, 'c', { authorization: `Bearer ${key}` })).client;
    const bobs: Client = await mcp(bob);
    const refused = await bobs.callTool({
      name: 'travel.send_message',
      arguments: { message: 'Rome', taskId, contextId },
    });
    expect(refused.isError).toBe(true);
    expect((refused.content as Json[])[0]!.text).toBe(`Unknown task or context "${taskId}".`);
    expect(await state(alice)).toBe('TASK_STATE_INPUT_REQUIRED');
    // A task Bob starts over MCP is Bob's on the A2A front.
    const started = await bobs.callTool({ name: 'travel.send_message', arguments: { message: 'ask' } });
    const bobsTask = (started._meta as Json)['dev.switchyard/a2a'].taskId as string;
    expect((await rpc('GetTask', { id: bobsTask }, alice)).error?.code).toBe(-32001);
    expect((await rpc('GetTask', { id: bobsTask }, bob)).result.id).toBe(bobsTask);
    await bobs.close();

    const alices = await mcp(alice);
    const done = await alices.callTool({
      name: 'travel.send_message',
      arguments: { message: 'Paris', taskId, contextId },
    });
    expect(JSON.stringify(done.content)).toContain('got: Paris');
    await alices.close();
  });

  it('ownership survives a restart; an admin sees every task', async () => {
    await gw.stop();
    gw = await startGateway(config());
    base = gw.url.replace(/\/mcp$/, '');
    expect((await rpc('GetTask', { id: taskId }, bob)).error?.code).toBe(-32001);
    expect(await state(alice)).toBe('TASK_STATE_COMPLETED');
    expect((await rpc('GetTask', { id: taskId }, TEST_ADMIN_TOKEN)).result.id).toBe(taskId);
    const all = ((await rpc('ListTasks', {}, TEST_ADMIN_TOKEN)).result.tasks as Json[]).map((t) => t.id);
    expect(all).toContain(taskId);
  });
});
