/**
 * The A2A relay (src/a2a/relay.ts), end to end with real peers: the official A2A SDK client (v1.0)
 * → the gateway → the A2A SDK agent fixture, and a raw agent that never answers. Covered: answers
 * relayed in both bindings are the agent's own, and the same with `a2a.relay: false`; task
 * ownership (another principal cannot continue, read or subscribe to a task started through the
 * relay, however the message spells its ids); part limits; the configured credentials (and never
 * the client's); answers too large or too late; a client that drops a relayed stream.
 * `switchyard_a2a_relayed_total` proves each time that the relay, not the SDK's path, answered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState, type Message, type Part, type StreamResponse, type Task } from '@a2a-js/sdk';
import type { Client, RequestOptions } from '@a2a-js/sdk/client';
import { TaskNotFoundError } from '@a2a-js/sdk/errors';
import type { ConfigInput } from '../../src/index.js';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import {
  a2aClient,
  artifactText,
  dataPart as data,
  sendParams as send,
  textPart as text,
} from '../support/a2a-client.js';
import { apiKeysFor, startGateway, type TestGateway } from '../support/gateway.js';
import { waitFor } from '../support/wait.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Binding = 'JSONRPC' | 'HTTP+JSON';
type Op = 'SendMessage' | 'SendStreamingMessage';

const TASK_NOT_FOUND = -32001;
const INVALID_PARAMS = -32602;
const INVALID_AGENT_RESPONSE = -32006;
const MAX_PARTS = 4;
const MAX_PART_BYTES = 1024;
/** The smallest `maxResponseBytes` that still fits the fixture's card. */
const TINY_RESPONSE_BYTES = 4096;
/** An artifact that no single read of a stream holds whole (a smaller one arrives in one). */
const HUGE_EVENT_BYTES = 256 * 1024;

/**
 * An agent that publishes a v1.0 card with a JSON-RPC interface on its own origin and answers each
 * message with `answer` (the stuck agent never answers: the connection stays open until it is
 * stopped). It counts what it received.
 */
async function startRawAgent(
  answer: (body: Json, res: ServerResponse) => void = () => {},
): Promise<{ url: string; received: () => number; stop(): Promise<void> }> {
  let received = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const { port } = server.address() as AddressInfo;
    if (req.method === 'GET' && req.url === '/.well-known/agent-card.json') {
      const card = {
        name: 'Raw agent',
        description: 'A test agent.',
        version: '1.0.0',
        supportedInterfaces: [
          { url: `http://127.0.0.1:${port}/jsonrpc`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
        ],
        capabilities: { streaming: true },
        defaultInputModes: ['text/plain'],
        defaultOutputModes: ['text/plain'],
        skills: [],
      };
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(card));
    }
    received++;
    let text = '';
    req.on('data', (d: Buffer) => (text += d));
    req.on('end', () => answer(JSON.parse(text) as Json, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What an answer says, without ids or timestamps: parts, states, artifacts, history. */
const partsOf = (parts: readonly Part[]) =>
  parts.map((p) =>
    p.content?.$case === 'raw'
      ? { raw: Buffer.from(p.content.value).toString('base64') }
      : p.content
        ? { [p.content.$case]: p.content.value as unknown }
        : {},
  );
function summary(r: Message | Task): Json {
  if ('role' in r) return { message: partsOf(r.parts), role: r.role };
  return {
    state: r.status?.state,
    status: partsOf(r.status?.message?.parts ?? []),
    artifacts: r.artifacts.map((a) => partsOf(a.parts)),
    history: r.history.map((m) => partsOf(m.parts)),
  };
}
function eventSummary(e: StreamResponse): Json {
  const p = e.payload;
  switch (p?.$case) {
    case 'task':
      return { task: summary(p.value) };
    case 'message':
      return { message: summary(p.value) };
    case 'statusUpdate':
      return { status: p.value.status?.state, says: partsOf(p.value.status?.message?.parts ?? []) };
    case 'artifactUpdate':
      return { artifact: partsOf(p.value.artifact?.parts ?? []) };
    default:
      return {};
  }
}

/** The task a stream event names. */
const taskOf = (e: StreamResponse): string => {
  const p = e.payload;
  if (p?.$case === 'task') return p.value.id;
  if (p?.$case === 'statusUpdate' || p?.$case === 'artifactUpdate') return p.value.taskId;
  return '';
};

describe('A2A relay: SDK client → gateway (relay) → SDK agent', () => {
  let agent: A2aAgentFixture;
  let stuck: Awaited<ReturnType<typeof startRawAgent>>;
  let html: Awaited<ReturnType<typeof startRawAgent>>;
  /** The gateway relaying (the default), and one with `a2a.relay: false` (the SDK's path). */
  let gw: TestGateway;
  let sdkGw: TestGateway;
  let base: string;
  let sdkBase: string;
  let keys: Record<'alice' | 'bob', string>;
  let sdkKeys: Record<'alice' | 'bob', string>;

  const config = (relay: boolean): ConfigInput => ({
    auth: { required: true },
    a2a: { relay, maxParts: MAX_PARTS, maxPartBytes: MAX_PART_BYTES },
    upstreams: [
      { name: 'travel', a2a: { url: agent.url, headers: { 'x-api-key': 'upstream-secret' } } },
      // The same agent, behind its own credential and a small answer limit.
      {
        name: 'tiny',
        a2a: { url: agent.url, headers: { authorization: 'Bearer agent-token' } },
        maxResponseBytes: TINY_RESPONSE_BYTES,
      },
      { name: 'stuck', a2a: { url: stuck.url }, timeoutMs: 300 },
      { name: 'html', a2a: { url: html.url } },
    ],
  });

  beforeAll(async () => {
    agent = await startA2aAgent();
    stuck = await startRawAgent();
    // Answers with a task, as JSON, but names it text/html.
    html = await startRawAgent((rpcBody, res) => {
      const task = { id: 'html-task', contextId: 'html-ctx', status: { state: 'TASK_STATE_COMPLETED' } };
      const answer = { jsonrpc: '2.0', id: rpcBody.id, result: { task } };
      res.writeHead(200, { 'content-type': 'text/html' }).end(JSON.stringify(answer));
    });
    gw = await startGateway(config(true));
    sdkGw = await startGateway(config(false));
    base = gw.url.replace(/\/mcp$/, '');
    sdkBase = sdkGw.url.replace(/\/mcp$/, '');
    keys = (await apiKeysFor(gw, 'alice', 'bob')) as typeof keys;
    sdkKeys = (await apiKeysFor(sdkGw, 'alice', 'bob')) as typeof sdkKeys;
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await sdkGw?.stop();
    await stuck?.stop();
    await html?.stop();
    await agent?.stop();
  });

  /** Request options authenticating as a principal. */
  const as = (key: string): RequestOptions => ({ serviceParameters: { authorization: `Bearer ${key}` } });

  /** `switchyard_a2a_relayed_total` for an agent and operation, as GET /metrics says it. */
  const relayed = async (at: string, agentName: string, op: Op): Promise<number> => {
    const metrics = await (await fetch(`${at}/metrics`)).text();
    const line = new RegExp(
      `^switchyard_a2a_relayed_total\\{agent="${agentName}",operation="${op}"\\} (\\d+)$`,
      'm',
    );
    return Number(line.exec(metrics)?.[1] ?? 0);
  };
  const counts = async (at: string, agentName = 'travel') => ({
    SendMessage: await relayed(at, agentName, 'SendMessage'),
    SendStreamingMessage: await relayed(at, agentName, 'SendStreamingMessage'),
  });

  /** A v1.0 JSON-RPC call to an agent behind the gateway: the response's JSON (an SSE stream's first event). */
  const rpc = async (method: string, params: Json, key: string, agentName = 'travel', at = base) => {
    const res = await fetch(`${at}/a2a/${agentName}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'A2A-Version': '1.0',
        authorization: `Bearer ${key}`,
        ...(method === 'SendStreamingMessage' ? { accept: 'text/event-stream' } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }),
    });
    const body = await res.text();
    const event = /^data: ?(.*)$/m.exec(body);
    return JSON.parse(
      res.headers.get('content-type')?.startsWith('text/event-stream') ? event![1]! : body,
    ) as Json;
  };
  /** A v1.0 HTTP+JSON request (`path` under `/rest`): its status and body. */
  const rest = async (path: string, body: Json, key: string, agentName = 'travel') => {
    const res = await fetch(`${base}/a2a/${agentName}/rest${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  /** A user message in A2A 1.0 JSON (what the relay reads and sends on). */
  const wire = (parts: Json[], ids: Json = {}) => ({
    message: { messageId: randomUUID(), role: 'ROLE_USER', parts, ...ids },
  });
  /** The requests the agent received while `fn` ran. */
  const seenByAgent = async (fn: () => Promise<unknown>) => {
    const before = agent.requests.length;
    await fn();
    return agent.requests.slice(before);
  };

  /** SendMessage twice (a task, a direct message) and a stream, each summarised. */
  const exchange = async (client: Client, opts?: RequestOptions) => {
    const task = await client.sendMessage(send([text('echo hi there'), data({ seats: 2 })]), opts);
    const reply = await client.sendMessage(send([text('hello')]), opts);
    const events: Json[] = [];
    for await (const ev of client.sendMessageStream(send([text('slow 2')]), opts))
      events.push(eventSummary(ev));
    return { task: summary(task), reply: summary(reply), events };
  };

  for (const binding of ['JSONRPC', 'HTTP+JSON'] as const satisfies readonly Binding[]) {
    it(`${binding}: relayed answers are the agent's own, and the same with a2a.relay off`, async () => {
      const direct = await exchange(await a2aClient(agent.url, binding));
      expect(direct.task.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(direct.task.artifacts).toEqual([[{ text: 'hi there' }, { data: { seats: 2 } }]]);
      expect(direct.reply.message).toEqual([{ text: 'you said: hello' }]);
      expect(direct.events.at(-1)).toEqual({ status: TaskState.TASK_STATE_COMPLETED, says: [] });

      const client = await a2aClient(`${base}/a2a/travel/`, binding);
      expect([client.transport.protocolName, client.protocolVersion]).toEqual([binding, '1.0']);
      const before = await counts(base);
      expect(await exchange(client, as(keys.alice))).toEqual(direct);
      expect(await counts(base)).toEqual({
        SendMessage: before.SendMessage + 2,
        SendStreamingMessage: before.SendStreamingMessage + 1,
      });

      const sdkClient = await a2aClient(`${sdkBase}/a2a/travel/`, binding);
      const sdkBefore = await counts(sdkBase);
      expect(await exchange(sdkClient, as(sdkKeys.alice))).toEqual(direct);
      expect(await counts(sdkBase)).toEqual(sdkBefore);
    });
  }

  it('ownership: Bob cannot continue, read or join a task Alice started through the relay; she can', async () => {
    const alice = await a2aClient(`${base}/a2a/travel/`);
    const before = await counts(base);
    // One task started by SendMessage, one by a stream; both wait for input.
    const sent = (await alice.sendMessage(send([text('ask')]), as(keys.alice))) as Task;
    expect(sent.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    let streamed = '';
    let streamedContext = '';
    for await (const ev of alice.sendMessageStream(send([text('ask')]), as(keys.alice))) {
      if (ev.payload?.$case === 'task')
        [streamed, streamedContext] = [ev.payload.value.id, ev.payload.value.contextId];
    }
    expect(streamed).not.toBe('');
    expect(await counts(base)).toEqual({
      SendMessage: before.SendMessage + 1,
      SendStreamingMessage: before.SendStreamingMessage + 1,
    });

    for (const [taskId, contextId] of [
      [sent.id, sent.contextId],
      [streamed, streamedContext],
    ] as const) {
      const reached = await seenByAgent(async () => {
        for (const op of ['SendMessage', 'SendStreamingMessage'] as const) {
          const continued = await rpc(op, wire([{ text: 'Bob was here' }], { taskId }), keys.bob);
          expect(continued.error?.code, `${op} continuing the task`).toBe(TASK_NOT_FOUND);
          const joined = await rpc(op, wire([{ text: 'echo Bob was here' }], { contextId }), keys.bob);
          expect(joined.error?.code, `${op} joining the context`).toBe(TASK_NOT_FOUND);
        }
        for (const path of ['/message:send', '/message:stream'])
          expect((await rest(path, wire([{ text: 'Bob was here' }], { taskId }), keys.bob)).status).toBe(404);
        expect((await rpc('GetTask', { id: taskId }, keys.bob)).error?.code).toBe(TASK_NOT_FOUND);
        expect((await rest(`/tasks/${taskId}:subscribe`, {}, keys.bob)).status).toBe(404);
      });
      expect(reached).toEqual([]);
      const got = await alice.getTask({ tenant: '', id: taskId }, as(keys.alice));
      expect(got.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect(JSON.stringify(got.history)).not.toContain('Bob was here');
    }
    expect(await counts(base)).toEqual({
      SendMessage: before.SendMessage + 1,
      SendStreamingMessage: before.SendStreamingMessage + 1,
    });

    // Alice continues both, through the relay.
    const done = (await alice.sendMessage(
      send([text('Paris')], { ids: { taskId: sent.id } }),
      as(keys.alice),
    )) as Task;
    expect([done.status?.state, artifactText(done)]).toEqual([TaskState.TASK_STATE_COMPLETED, 'got: Paris']);
    const events: Json[] = [];
    const more = send([text('Rome')], { ids: { taskId: streamed } });
    for await (const ev of alice.sendMessageStream(more, as(keys.alice))) events.push(eventSummary(ev));
    expect(events).toContainEqual({ artifact: [{ text: 'got: Rome' }] });
    expect(events.at(-1)).toEqual({ status: TaskState.TASK_STATE_COMPLETED, says: [] });
    const got = await alice.getTask({ tenant: '', id: streamed }, as(keys.alice));
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(await counts(base)).toEqual({
      SendMessage: before.SendMessage + 2,
      SendStreamingMessage: before.SendStreamingMessage + 2,
    });
    // Bob's GetTask is refused on the task's end state too.
    expect((await rpc('GetTask', { id: streamed }, keys.bob)).error?.code).toBe(TASK_NOT_FOUND);
  });

  it('ownership: ids spelled as the proto names them (task_id, context_id) are checked too', async () => {
    // The agent (the A2A SDK's JSON parser) reads `task_id` and `context_id` as `taskId` and `contextId`.
    const before = await counts(base);
    const started = await rpc('SendMessage', wire([{ text: 'ask' }]), keys.alice);
    const { id: taskId, contextId } = started.result.task as { id: string; contextId: string };
    expect(await counts(base)).toEqual({ ...before, SendMessage: before.SendMessage + 1 });
    const reached = await seenByAgent(async () => {
      for (const op of ['SendMessage', 'SendStreamingMessage'] as const) {
        const continued = await rpc(op, wire([{ text: 'Bob was here' }], { task_id: taskId }), keys.bob);
        expect(continued.error?.code, `${op} with task_id`).toBe(TASK_NOT_FOUND);
        const joined = await rpc(op, wire([{ text: 'echo Bob' }], { context_id: contextId }), keys.bob);
        expect(joined.error?.code, `${op} with context_id`).toBe(TASK_NOT_FOUND);
      }
      const viaRest = await rest('/message:send', wire([{ text: 'Bob' }], { task_id: taskId }), keys.bob);
      expect(viaRest.status).toBe(404);
    });
    expect(reached).toEqual([]);
    expect((await rpc('GetTask', { id: taskId }, keys.alice)).result?.status?.state).toBe(
      'TASK_STATE_INPUT_REQUIRED',
    );
  });

  it('part limits: too many parts or a part too large → -32602 (REST 400), nothing reaches the agent', async () => {
    const before = await counts(base);
    const big = 'x'.repeat(MAX_PART_BYTES + 1);
    const refused: Json[][] = [
      Array.from({ length: MAX_PARTS + 1 }, () => ({ text: 'x' })),
      [{ text: 'echo' }, { text: big }],
      [{ text: 'echo' }, { raw: Buffer.from(big).toString('base64'), mediaType: 'application/octet-stream' }],
      [{ text: 'echo' }, { data: { big } }],
      [{ text: 'echo' }, { url: `https://example.com/${big}` }],
    ];
    const reached = await seenByAgent(async () => {
      for (const parts of refused) {
        for (const op of ['SendMessage', 'SendStreamingMessage'] as const) {
          const answer = await rpc(op, wire(parts), keys.alice);
          expect(answer.error?.code, `${op} of ${JSON.stringify(parts).slice(0, 60)}`).toBe(INVALID_PARAMS);
          expect(answer.error?.message).toMatch(/a2a\.maxPart/);
        }
        for (const path of ['/message:send', '/message:stream'])
          expect((await rest(path, wire(parts), keys.alice)).status).toBe(400);
      }
    });
    expect(reached).toEqual([]);
    expect(await counts(base)).toEqual(before);

    // At the limits exactly, the message is relayed.
    const fits = [
      { text: 'echo fits' },
      ...Array.from({ length: MAX_PARTS - 1 }, () => ({ text: 'x'.repeat(MAX_PART_BYTES) })),
    ];
    const answer = await rpc('SendMessage', wire(fits), keys.alice);
    expect(answer.result?.task?.status?.state).toBe('TASK_STATE_COMPLETED');
    expect(await counts(base)).toEqual({ ...before, SendMessage: before.SendMessage + 1 });
  });

  it("credentials: the agent gets the upstream's configured headers, never the client's Authorization", async () => {
    const before = await counts(base);
    const travel = await seenByAgent(async () => {
      for (const binding of ['JSONRPC', 'HTTP+JSON'] as const) {
        const client = await a2aClient(`${base}/a2a/travel/`, binding);
        await client.sendMessage(send([text('echo with a key')]), as(keys.alice));
        expect(agent.lastHeaders()['x-api-key']).toBe('upstream-secret');
        expect(agent.lastHeaders().authorization).toBeUndefined();
        await drain(client.sendMessageStream(send([text('echo streamed')]), as(keys.alice)));
        expect(agent.lastHeaders()['x-api-key']).toBe('upstream-secret');
        expect(agent.lastHeaders().authorization).toBeUndefined();
      }
    });
    expect(travel.map((r) => `${r.method} ${r.path} ${r.authorization ?? '-'}`)).toEqual([
      'POST /jsonrpc -',
      'POST /jsonrpc -',
      'POST /rest/message:send -',
      'POST /rest/message:stream -',
    ]);
    expect(await counts(base)).toEqual({
      SendMessage: before.SendMessage + 2,
      SendStreamingMessage: before.SendStreamingMessage + 2,
    });

    // An upstream whose credential is an Authorization header of its own: that one, not the client's.
    const tinyBefore = await counts(base, 'tiny');
    const tiny = await seenByAgent(async () => {
      const client = await a2aClient(`${base}/a2a/tiny/`);
      await client.sendMessage(send([text('echo mine')]), as(keys.alice));
      await drain(client.sendMessageStream(send([text('echo mine')]), as(keys.alice)));
    });
    expect(tiny.map((r) => r.authorization)).toEqual(['Bearer agent-token', 'Bearer agent-token']);
    expect(agent.lastHeaders()['x-api-key']).toBeUndefined();
    expect(await counts(base, 'tiny')).toEqual({
      SendMessage: tinyBefore.SendMessage + 1,
      SendStreamingMessage: tinyBefore.SendStreamingMessage + 1,
    });
  });

  it('an answer over maxResponseBytes, or none within timeoutMs → -32006 naming the agent; the gateway keeps serving', async () => {
    const tinyBefore = await counts(base, 'tiny');
    const tooLarge = await rpc(
      'SendMessage',
      wire([{ text: `big ${TINY_RESPONSE_BYTES * 2}` }]),
      keys.alice,
      'tiny',
    );
    expect(tooLarge.error?.code).toBe(INVALID_AGENT_RESPONSE);
    expect(tooLarge.error?.message).toMatch(/SendMessage on agent "tiny" failed/);
    const restTooLarge = await rest(
      '/message:send',
      wire([{ text: `big ${TINY_RESPONSE_BYTES * 2}` }]),
      keys.alice,
      'tiny',
    );
    // HTTP+JSON: the status the A2A SDK gives InvalidAgentResponse, and the same error.
    expect(restTooLarge.status).toBe(500);
    expect(JSON.parse(restTooLarge.text)).toMatchObject({
      error: { message: expect.stringMatching(/SendMessage on agent "tiny" failed/) },
    });
    expect(restTooLarge.text).toContain('INVALID_AGENT_RESPONSE');
    // A stream: an event too large ends it with the error, whether it arrives in one read or in
    // many; the events before it reach the client, and the task they name is the caller's.
    const client = await a2aClient(`${base}/a2a/tiny/`);
    for (const size of [TINY_RESPONSE_BYTES * 2, HUGE_EVENT_BYTES]) {
      const seen: string[] = [];
      let taskId = '';
      const consume = async () => {
        const big = send([text(`big ${size}`)]);
        for await (const ev of client.sendMessageStream(big, as(keys.alice))) {
          seen.push(ev.payload?.$case ?? '');
          if (ev.payload?.$case === 'task') taskId = ev.payload.value.id;
        }
      };
      // The SDK's JSON-RPC client reports an error event as an Error carrying its code.
      await expect(consume()).rejects.toThrow(
        /SendStreamingMessage on agent "tiny" failed.*\(Code: -32006\)/,
      );
      expect(seen).not.toContain('artifactUpdate');
      expect(taskId).not.toBe('');
      // Hers to read (the agent's answer may be over the limit itself by now), never "not found".
      const mine = await client.getTask({ tenant: '', id: taskId }, as(keys.alice)).then(
        (t) => t.id,
        (e: Error) => e.message,
      );
      expect(mine === taskId || /larger than/.test(mine), mine).toBe(true);
      await expect(client.getTask({ tenant: '', id: taskId }, as(keys.bob))).rejects.toThrow(
        TaskNotFoundError,
      );
    }
    expect(await counts(base, 'tiny')).toEqual({
      SendMessage: tinyBefore.SendMessage + 2,
      SendStreamingMessage: tinyBefore.SendStreamingMessage + 2,
    });

    const stuckBefore = await counts(base, 'stuck');
    const late = await rpc('SendMessage', wire([{ text: 'echo anyone there?' }]), keys.alice, 'stuck');
    expect(late.error?.code).toBe(INVALID_AGENT_RESPONSE);
    expect(late.error?.message).toMatch(/SendMessage on agent "stuck" failed: .*timeoutMs/);
    expect(stuck.received()).toBeGreaterThan(0);
    expect(await counts(base, 'stuck')).toEqual({ ...stuckBefore, SendMessage: stuckBefore.SendMessage + 1 });

    // The gateway keeps serving, relayed and not.
    const healthy = await a2aClient(`${base}/a2a/travel/`);
    const after = (await healthy.sendMessage(send([text('echo alive')]), as(keys.alice))) as Task;
    expect(artifactText(after)).toBe('alive');
    expect((await healthy.getTask({ tenant: '', id: after.id }, as(keys.alice))).id).toBe(after.id);
    const small = (await client.sendMessage(send([text('big 10')]), as(keys.alice))) as Task;
    expect(artifactText(small)).toBe('x'.repeat(10));
  });

  it("an answer goes out as JSON, whatever type the agent named; its task is the caller's", async () => {
    const res = await fetch(`${base}/a2a/html`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'A2A-Version': '1.0',
        authorization: `Bearer ${keys.alice}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'SendMessage', params: wire([{ text: 'hi' }]) }),
    });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(((await res.json()) as Json).result.task.id).toBe('html-task');
    expect(await counts(base, 'html')).toMatchObject({ SendMessage: 1 });
    // Bob may not continue it: the relay recorded it as Alice's.
    const bob = await rpc(
      'SendMessage',
      wire([{ text: 'mine?' }], { taskId: 'html-task' }),
      keys.bob,
      'html',
    );
    expect(bob.error?.code).toBe(TASK_NOT_FOUND);
    expect(html.received()).toBe(1);
  });

  it('a client that drops a relayed stream: the task completes upstream; its owner resubscribes and reads it', async () => {
    const client = await a2aClient(`${base}/a2a/travel/`);
    const before = await counts(base);
    let taskId = '';
    for await (const ev of client.sendMessageStream(send([text('slow 20')]), as(keys.alice))) {
      taskId = taskOf(ev);
      break; // the client leaves after the first event
    }
    expect(taskId).not.toBe('');
    expect(await counts(base)).toEqual({ ...before, SendStreamingMessage: before.SendStreamingMessage + 1 });

    // Bob may not follow it; Alice may, to its end.
    await expect(
      drain(client.resubscribeTask({ tenant: '', id: taskId }, as(keys.bob))),
    ).rejects.toBeInstanceOf(TaskNotFoundError);
    const states = (await drain(client.resubscribeTask({ tenant: '', id: taskId }, as(keys.alice)))).flatMap(
      (ev) => (ev.payload?.$case === 'statusUpdate' ? [ev.payload.value.status?.state] : []),
    );
    expect(states.at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);

    const direct = await a2aClient(agent.url);
    await waitFor(
      async () =>
        (await direct.getTask({ tenant: '', id: taskId })).status?.state === TaskState.TASK_STATE_COMPLETED,
      { what: 'the task completed at the agent' },
    );
    const got = await client.getTask({ tenant: '', id: taskId }, as(keys.alice));
    expect([got.status?.state, artifactText(got)]).toEqual([
      TaskState.TASK_STATE_COMPLETED,
      'done after 20 steps',
    ]);
    await expect(client.getTask({ tenant: '', id: taskId }, as(keys.bob))).rejects.toBeInstanceOf(
      TaskNotFoundError,
    );
  });
});

/** Every event of a stream. */
async function drain(stream: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const out: StreamResponse[] = [];
  for await (const ev of stream) out.push(ev);
  return out;
}
