/**
 * A2A scenarios mirroring the A2A TCK's requirement catalogue (a2aproject/a2a-tck,
 * tck/requirements/core_operations.py): each test is named by the TCK requirement id it checks.
 * They run on the wire (JSON-RPC v1.0 bodies, as the TCK sends them) against both kinds of agent the
 * gateway serves: one whose tasks the gateway owns (an MCP server served as an agent) and a
 * proxied A2A SDK agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import { stdioFixture } from '../support/fixtures.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let gw: TestGateway;
let agent: A2aAgentFixture;
let base: string;

beforeAll(async () => {
  agent = await startA2aAgent();
  gw = await startGateway({
    upstreams: [
      { name: 'fixture', mcp: stdioFixture('fixture') },
      { name: 'travel', a2a: { url: agent.url } },
    ],
  });
  base = gw.url.replace(/\/mcp$/, '');
}, 60_000);
afterAll(async () => {
  await gw?.stop();
  await agent?.stop();
});

/** What each agent needs to be asked to produce a given kind of answer. */
interface Subject {
  name: string;
  path: string;
  completes: Json[];
  lingers: Json[];
  messageOnly: Json[];
}
const SUBJECTS: Subject[] = [
  {
    name: 'served (MCP tools, tasks owned by the gateway)',
    path: '/a2a/fixture',
    completes: [{ data: { tool: 'fixture.echo', arguments: { text: 'tck' } } }],
    lingers: [{ data: { tool: 'fixture.slow', arguments: { ms: 5000, steps: 5 } } }],
    messageOnly: [{ text: 'what can you do?' }],
  },
  {
    name: 'proxied (A2A SDK agent upstream)',
    path: '/a2a/travel',
    completes: [{ text: 'echo tck' }],
    lingers: [{ text: 'slow 50' }],
    messageOnly: [{ text: 'hello' }],
  },
];

async function rpc(path: string, method: string, params: Json): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' },
    body: JSON.stringify({ jsonrpc: '2.0', id: randomUUID(), method, params }),
  });
  return (await res.json()) as Json;
}

async function stream(path: string, params: Json): Promise<Json[]> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', accept: 'text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendStreamingMessage', params }),
  });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await res.text(); // resolves when the server closes the stream
  return text
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => (JSON.parse(l.slice(5)) as Json).result as Json);
}

const message = (parts: Json[], extra: Json = {}) => ({
  message: { messageId: randomUUID(), role: 'ROLE_USER', parts, ...extra },
});

describe.each(SUBJECTS)('A2A TCK core operations: $name', (s) => {
  const send = (parts: Json[], extra: Json = {}, configuration?: Json) =>
    rpc(s.path, 'SendMessage', { ...message(parts, extra), ...(configuration ? { configuration } : {}) });
  const completedTask = async () => (await send(s.completes)).result.task as Json;

  it('CORE-SEND-001: SendMessage returns a Task or a Message', async () => {
    const task = await send(s.completes);
    expect(task.result.task.id).toEqual(expect.any(String));
    const msg = await send(s.messageOnly);
    expect(msg.result.message.role).toBe('ROLE_AGENT');
  });

  it('CORE-SEND-002: a message to a task in a terminal state → UnsupportedOperationError', async () => {
    const task = await completedTask();
    const again = await send([{ text: 'more' }], { taskId: task.id, contextId: task.contextId });
    expect(again.error?.code).toBe(-32004);
  });

  it('CORE-STREAM-001/003: a task stream begins with the Task and closes at its terminal state', async () => {
    const events = await stream(s.path, message(s.completes));
    expect(Object.keys(events[0]!)).toEqual(['task']);
    const last = events.at(-1)!;
    const state = last.statusUpdate?.status?.state ?? last.task?.status?.state;
    expect(state).toBe('TASK_STATE_COMPLETED');
  });

  it('CORE-STREAM-002: a message-only stream has exactly one Message, then closes', async () => {
    const events = await stream(s.path, message(s.messageOnly));
    expect(events).toHaveLength(1);
    expect(events[0]!.message.role).toBe('ROLE_AGENT');
  });

  it('CORE-GET-001 / CORE-GET-002: GetTask returns the task; an unknown id → TaskNotFoundError', async () => {
    const task = await completedTask();
    const got = await rpc(s.path, 'GetTask', { id: task.id });
    expect(got.result).toMatchObject({ id: task.id, status: { state: 'TASK_STATE_COMPLETED' } });
    expect((await rpc(s.path, 'GetTask', { id: `tck-${randomUUID()}` })).error?.code).toBe(-32001);
  });

  it('CORE-LIST-002/003/004/005: cursor pagination, newest first, empty token at the end, no artifacts', async () => {
    const contextId = `tck-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await send(s.completes, { contextId });
    const first = await rpc(s.path, 'ListTasks', { contextId, pageSize: 2 });
    expect(first.result.tasks).toHaveLength(2);
    expect(first.result.nextPageToken).not.toBe('');
    const times = first.result.tasks.map((t: Json) => Date.parse(t.status.timestamp));
    expect(times[0]).toBeGreaterThanOrEqual(times[1]);
    expect(first.result.tasks.every((t: Json) => t.artifacts === undefined)).toBe(true);
    const rest = await rpc(s.path, 'ListTasks', {
      contextId,
      pageSize: 2,
      pageToken: first.result.nextPageToken,
    });
    expect(rest.result.tasks).toHaveLength(1);
    expect(rest.result.nextPageToken).toBe('');
  });

  it('CORE-CANCEL-001/002/003: cancel a running task; a finished one is not cancelable; unknown → TaskNotFound', async () => {
    const running = (await send(s.lingers, {}, { returnImmediately: true })).result.task as Json;
    const cancelled = await rpc(s.path, 'CancelTask', { id: running.id });
    expect(cancelled.result.id).toBe(running.id);
    await expect
      .poll(async () => (await rpc(s.path, 'GetTask', { id: running.id })).result.status.state, {
        timeout: 5000,
      })
      .toBe('TASK_STATE_CANCELED');
    const done = await completedTask();
    expect((await rpc(s.path, 'CancelTask', { id: done.id })).error?.code).toBe(-32002);
    expect((await rpc(s.path, 'CancelTask', { id: `tck-${randomUUID()}` })).error?.code).toBe(-32001);
  });

  it('CORE-EXECUTION-MODE-001/002: blocking waits for a final state; returnImmediately does not', async () => {
    const blocking = await send(s.completes, {}, { returnImmediately: false });
    expect(blocking.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    const immediate = await send(s.lingers, {}, { returnImmediately: true });
    expect(['TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING']).toContain(immediate.result.task.status.state);
    await rpc(s.path, 'CancelTask', { id: immediate.result.task.id });
  });

  it('CORE-CAP-003: GetExtendedAgentCard when the card does not offer one → UnsupportedOperationError', async () => {
    const r = await rpc(s.path, 'GetExtendedAgentCard', {});
    expect(r.error?.code).toBe(-32004);
  });

  it('CORE-MULTI-001a / CORE-MULTI-003: the response carries a generated contextId and a unique taskId', async () => {
    const a = await completedTask();
    const b = await completedTask();
    expect(a.contextId).toEqual(expect.any(String));
    expect(a.contextId).not.toBe('');
    expect(a.id).not.toBe(b.id);
  });

  it('CORE-MULTI-004: a message naming an unknown taskId → TaskNotFoundError', async () => {
    const r = await send([{ text: 'hi' }], { taskId: `tck-${randomUUID()}` });
    expect(r.error?.code).toBe(-32001);
  });

  it('CORE-MULTI-006: a contextId that does not match the task\u2019s → error', async () => {
    const running = (await send(s.lingers, {}, { returnImmediately: true })).result.task as Json;
    const r = await send([{ text: 'more' }], { taskId: running.id, contextId: `tck-${randomUUID()}` });
    expect(r.error).toBeDefined();
    await rpc(s.path, 'CancelTask', { id: running.id });
  });

  it('CORE-HIST-002: GetTask returns no more history than historyLength', async () => {
    const task = await completedTask();
    const got = await rpc(s.path, 'GetTask', { id: task.id, historyLength: 1 });
    expect((got.result.history ?? []).length).toBeLessThanOrEqual(1);
  });
});
