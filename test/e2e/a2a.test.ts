/**
 * A2A end to end, with real peers on both sides: the official A2A SDK's client (v1.0, and a v0.3
 * client through its compat transport) → the gateway → an A2A SDK agent; the MCP SDK client →
 * the gateway → the A2A agent (bridged tools); the A2A client → the gateway → MCP servers.
 *
 * Test names carry the A2A TCK scenario family they mirror (core, streaming, tasks, push, errors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, TaskState, type Message, type Task } from '@a2a-js/sdk';
import { LegacyJsonRpcTransport, LegacyRestTransport } from '@a2a-js/sdk/compat/v0_3/client';
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  ElicitRequestSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import {
  a2aClient,
  artifactText,
  dataPart as data,
  sendParams as send,
  textPart as text,
} from '../support/a2a-client.js';
import { EVERYTHING, stdioFixture } from '../support/fixtures.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { describeEachStore } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

describe('A2A proxy: SDK client → gateway → SDK agent', () => {
  let agent: A2aAgentFixture;
  let gw: TestGateway;
  let base: string;

  beforeAll(async () => {
    agent = await startA2aAgent();
    gw = await startGateway({
      upstreams: [{ name: 'travel', a2a: { url: agent.url, headers: { 'x-api-key': 'upstream-secret' } } }],
    });
    base = gw.url.replace(/\/mcp$/, '');
  });
  afterAll(async () => {
    await gw?.stop();
    await agent?.stop();
  });

  it('core: serves a rewritten card whose interfaces point at the gateway', async () => {
    const res = await fetch(`${base}/a2a/travel/.well-known/agent-card.json`, {
      headers: { 'A2A-Version': '1.0' },
    });
    expect(res.status).toBe(200);
    const card = (await res.json()) as {
      name: string;
      supportedInterfaces: { url: string; protocolBinding: string; protocolVersion: string }[];
      skills: unknown[];
    };
    expect(card.name).toBe('Travel agent');
    expect(card.skills).toHaveLength(2);
    expect(card.supportedInterfaces.map((i) => `${i.protocolBinding} ${i.protocolVersion} ${i.url}`)).toEqual(
      expect.arrayContaining([
        `JSONRPC 1.0 ${base}/a2a/travel`,
        `HTTP+JSON 1.0 ${base}/a2a/travel/rest`,
        `JSONRPC 0.3 ${base}/a2a/travel`,
      ]),
    );
    expect(JSON.stringify(card)).not.toContain(agent.url);
    // A v0.3 client (no A2A-Version header) gets the v0.3 card shape, pointing at the gateway too.
    const legacy = (await (await fetch(`${base}/a2a/travel/.well-known/agent-card.json`)).json()) as {
      url: string;
      protocolVersion: string;
    };
    expect(legacy.url).toBe(`${base}/a2a/travel`);
    expect(legacy.protocolVersion).toMatch(/^0\.3/);
  });

  for (const binding of ['JSONRPC', 'HTTP+JSON'] as const) {
    it(`core/SendMessage over ${binding}: a task passes through, credentials added upstream`, async () => {
      const client = await a2aClient(`${base}/a2a/travel`, binding);
      expect(client.transport.protocolName).toBe(binding);
      const result = (await client.sendMessage(send([text('echo hi there')]))) as Task;
      expect(result.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(result)).toBe('hi there');
      expect(agent.lastHeaders()['x-api-key']).toBe('upstream-secret');
      const got = await client.getTask({ tenant: '', id: result.id });
      expect(got.id).toBe(result.id);
      const reply = await client.sendMessage(send([text('hello')]));
      expect('role' in reply && reply.role).toBe(Role.ROLE_AGENT);
    });
  }

  it('streaming/SendStreamingMessage: status updates arrive in order', async () => {
    const client = await a2aClient(`${base}/a2a/travel`);
    const states: string[] = [];
    for await (const ev of client.sendMessageStream(send([text('slow 3')]))) {
      const p = ev.payload;
      if (p?.$case === 'statusUpdate') states.push(String(p.value.status?.state));
    }
    expect(states).toEqual([
      String(TaskState.TASK_STATE_WORKING),
      String(TaskState.TASK_STATE_WORKING),
      String(TaskState.TASK_STATE_WORKING),
      String(TaskState.TASK_STATE_COMPLETED),
    ]);
  });

  it('tasks/CancelTask and SubscribeToTask after a dropped stream', async () => {
    const client = await a2aClient(`${base}/a2a/travel`);
    // Drop the stream after the first event, then resubscribe and see the task finish.
    let taskId = '';
    for await (const ev of client.sendMessageStream(send([text('slow 4')]))) {
      if (ev.payload?.$case === 'task') taskId = ev.payload.value.id;
      if (ev.payload?.$case === 'statusUpdate') taskId ||= ev.payload.value.taskId;
      if (taskId) break;
    }
    expect(taskId).not.toBe('');
    const seen: number[] = [];
    for await (const ev of client.resubscribeTask({ tenant: '', id: taskId })) {
      if (ev.payload?.$case === 'statusUpdate') seen.push(ev.payload.value.status!.state);
    }
    expect(seen.at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);

    const started = (await client.sendMessage(send([text('slow 20')], { returnImmediately: true }))) as Task;
    const cancelled = await client.cancelTask({ tenant: '', id: started.id, metadata: undefined });
    expect(agent.cancelled).toContain(started.id);
    expect([
      TaskState.TASK_STATE_CANCELED,
      TaskState.TASK_STATE_WORKING,
      TaskState.TASK_STATE_SUBMITTED,
    ]).toContain(cancelled.status?.state);
  });

  it('errors: unknown task → TaskNotFound (-32001); unsupported version → -32009; bad JSON → -32700; oversize → -32602/413', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/a2a/travel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', ...headers },
        body,
      }).then((r) => r.json() as Promise<{ error?: { code: number } }>);
    const notFound = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'no-such-task' } }),
    );
    expect(notFound.error?.code).toBe(-32001);
    const version = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'GetTask', params: { id: 'x' } }),
      { 'A2A-Version': '9.9' },
    );
    expect(version.error?.code).toBe(-32009);
    const garbage = await post('{"jsonrpc": "2.0", "id": 3, "method": ');
    expect(garbage.error?.code).toBe(-32700);
    // Oversize parts (a2a.maxParts / maxPartBytes) and bodies (server.maxBodyBytes).
    const many = await post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 4,
        method: 'SendMessage',
        params: {
          message: {
            messageId: 'm',
            role: 'ROLE_USER',
            parts: Array.from({ length: 65 }, () => ({ text: 'x' })),
          },
        },
      }),
    );
    expect(many.error?.code).toBe(-32602);
    const big = await post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 5,
        method: 'SendMessage',
        params: {
          message: { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'x'.repeat(1024 * 1024 + 1) }] },
        },
      }),
    );
    expect(big.error?.code).toBe(-32602);
    const huge = await fetch(`${base}/a2a/travel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' },
      body: 'x'.repeat(5 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    const rest = await fetch(`${base}/a2a/travel/rest/message:send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' },
      body: '{not json',
    });
    expect(rest.status).toBe(400);
    // The gateway keeps serving.
    const client = await a2aClient(`${base}/a2a/travel`);
    expect(((await client.sendMessage(send([text('echo still')]))) as Task).status?.state).toBe(
      TaskState.TASK_STATE_COMPLETED,
    );
  });

  it('errors: an upstream that dies mid-stream ends the stream with an error; the gateway keeps serving', async () => {
    const client = await a2aClient(`${base}/a2a/travel`);
    const events: string[] = [];
    const consume = (async () => {
      for await (const ev of client.sendMessageStream(send([text('slow 50')]))) {
        events.push(ev.payload?.$case ?? '');
        if (events.length === 2) agent.dropConnections();
      }
    })();
    await expect(consume).rejects.toThrow();
    expect(events.length).toBeGreaterThanOrEqual(2);
    const after = (await client.sendMessage(send([text('echo alive')]))) as Task;
    expect(artifactText(after)).toBe('alive');
  });

  it('core (v0.3 client): message/send through the compat layer', async () => {
    const legacy = new LegacyJsonRpcTransport({ endpoint: `${base}/a2a/travel` });
    const result = (await legacy.sendMessage(send([text('echo from the past')]))) as Task;
    expect(result.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(result)).toBe('from the past');
    const got = await legacy.getTask({ tenant: '', id: result.id });
    expect(got.id).toBe(result.id);
  });

  it('core (v0.3 client over HTTP+JSON): /v1/message:send through the compat layer', async () => {
    const legacy = new LegacyRestTransport({ endpoint: `${base}/a2a/travel/rest` });
    const result = (await legacy.sendMessage(send([text('echo rest v03')]))) as Task;
    expect(artifactText(result)).toBe('rest v03');
  });

  it('push: push-notification config CRUD passes through to the agent', async () => {
    const client = await a2aClient(`${base}/a2a/travel`);
    const task = (await client.sendMessage(send([text('slow 30')], { returnImmediately: true }))) as Task;
    const config = {
      tenant: '',
      id: 'cfg-1',
      taskId: task.id,
      url: 'https://hooks.example.com/a2a',
      token: 't',
      authentication: undefined,
    };
    const created = await client.createTaskPushNotificationConfig(config);
    expect(created).toMatchObject({ id: 'cfg-1', url: config.url });
    const got = await client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: 'cfg-1' });
    expect(got.url).toBe(config.url);
    const listed = await client.listTaskPushNotificationConfig({
      tenant: '',
      taskId: task.id,
      pageSize: 10,
      pageToken: '',
    });
    expect(listed.configs.map((c) => c.id)).toEqual(['cfg-1']);
    await client.deleteTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: 'cfg-1' });
    const after = await client.listTaskPushNotificationConfig({
      tenant: '',
      taskId: task.id,
      pageSize: 10,
      pageToken: '',
    });
    expect(after.configs).toEqual([]);
    await client.cancelTask({ tenant: '', id: task.id, metadata: undefined });
  });

  it('directory: lists the agent with its skills, searchable by text and tag', async () => {
    const all = (await (await fetch(`${base}/a2a`)).json()) as {
      agents: { name: string; kind: string; skills: unknown[] }[];
    };
    expect(all.agents.find((a) => a.name === 'travel')).toMatchObject({ kind: 'proxy' });
    const byTag = (await (await fetch(`${base}/a2a?tag=flights`)).json()) as { agents: { name: string }[] };
    expect(byTag.agents.map((a) => a.name)).toEqual(['travel']);
    const none = (await (await fetch(`${base}/a2a?q=submarine`)).json()) as { agents: unknown[] };
    expect(none.agents).toEqual([]);
    const own = (await (await fetch(`${base}/.well-known/agent-card.json`)).json()) as {
      skills: { id: string }[];
    };
    expect(own.skills.map((s) => s.id)).toContain('travel');
  });

  it('directory: also an MCP resource of the gateway', async () => {
    const { client } = await connect(gw.url);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('switchyard://a2a/agents');
    const read = await client.readResource({ uri: 'switchyard://a2a/agents' });
    const body = JSON.parse(String((read.contents[0] as { text: string }).text)) as {
      agents: { name: string; url: string }[];
    };
    expect(body.agents.find((a) => a.name === 'travel')?.url).toBe(`${base}/a2a/travel`);
    await expect(client.readResource({ uri: 'switchyard://nothing-here' })).rejects.toThrow(/not found/i);
    await client.close();
  });

  it('metrics: A2A requests are counted per agent, operation and status', async () => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /switchyard_a2a_requests_total\{agent="travel",operation="SendMessage",status="2xx"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /switchyard_a2a_requests_total\{agent="travel",operation="message\/send",status="2xx"\} [1-9]/,
    );
  });
});

describe('A2A agent → MCP tools: MCP SDK client → gateway → SDK agent', () => {
  let agent: A2aAgentFixture;
  let legacy: A2aAgentFixture;
  let gw: TestGateway;

  beforeAll(async () => {
    agent = await startA2aAgent();
    legacy = await startA2aAgent({ name: 'Old agent', legacyOnly: true });
    gw = await startGateway({
      upstreams: [
        { name: 'travel', a2a: { url: agent.url, refreshIntervalMs: 200 } },
        { name: 'old', a2a: { url: legacy.url } },
      ],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await agent?.stop();
    await legacy?.stop();
  });

  it('offers one tool per skill plus one for the agent, with the documented input', async () => {
    const { client } = await connect(gw.url);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'old.book-flight',
      'old.find_hotel',
      'old.send_message',
      'travel.book-flight',
      'travel.find_hotel',
      'travel.send_message',
    ]);
    const t = tools.find((x) => x.name === 'travel.book-flight')!;
    expect(t.inputSchema.required).toEqual(['message']);
    expect(t.description).toContain('Books flights.');
    await client.close();
  });

  it('maps text and data parts to content and structuredContent; FAILED → isError', async () => {
    const { client } = await connect(gw.url);
    const r = await client.callTool({
      name: 'travel.book-flight',
      arguments: { message: 'echo LHR', data: { seats: 2 } },
    });
    expect(r.isError).toBeFalsy();
    expect(r.content).toEqual([
      { type: 'text', text: 'LHR' },
      { type: 'text', text: '{"seats":2}' },
      { type: 'text', text: 'skill: book-flight' },
    ]);
    expect(r.structuredContent).toEqual({ seats: 2 });
    const meta = r._meta?.['dev.switchyard/a2a'] as { taskId: string; state: string };
    expect(meta.state).toBe('completed');
    const failed = await client.callTool({ name: 'travel.send_message', arguments: { message: 'fail' } });
    expect(failed.isError).toBe(true);
    expect(JSON.stringify(failed.content)).toContain('it broke');
    const old = await client.callTool({ name: 'old.send_message', arguments: { message: 'echo v03' } });
    expect(old.content).toEqual([{ type: 'text', text: 'v03' }]);
    await client.close();
  });

  it('status updates while streaming → MCP progress notifications', async () => {
    const { client } = await connect(gw.url);
    const progress: string[] = [];
    const r = await client.callTool(
      { name: 'travel.send_message', arguments: { message: 'slow 3' } },
      undefined,
      {
        onprogress: (p) => progress.push(String(p.message)),
      },
    );
    expect(r.content).toEqual([{ type: 'text', text: 'done after 3 steps' }]);
    expect(progress).toEqual(expect.arrayContaining(['step 1 of 3', 'step 2 of 3', 'step 3 of 3']));
    await client.close();
  });

  it('INPUT_REQUIRED → elicitation round trip continues the same task', async () => {
    const { client } = await connect(gw.url, { elicitation: {} });
    let asked = '';
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked = req.params.message;
      return { action: 'accept', content: { answer: 'Lisbon' } };
    });
    const r = await client.callTool({ name: 'travel.send_message', arguments: { message: 'ask' } });
    expect(asked).toBe('Which city?');
    expect(r.content).toEqual([{ type: 'text', text: 'got: Lisbon' }]);
    await client.close();
  });

  it('INPUT_REQUIRED without elicitation → the result names the taskId to continue with', async () => {
    const { client } = await connect(gw.url);
    const r = await client.callTool({ name: 'travel.send_message', arguments: { message: 'ask' } });
    const meta = r._meta?.['dev.switchyard/a2a'] as { taskId: string; contextId: string; state: string };
    expect(meta.state).toBe('input-required');
    expect(JSON.stringify(r.content)).toContain(meta.taskId);
    const next = await client.callTool({
      name: 'travel.send_message',
      arguments: { message: 'Porto', taskId: meta.taskId, contextId: meta.contextId },
    });
    expect(next.content).toEqual([{ type: 'text', text: 'got: Porto' }]);
    await client.close();
  });

  it('long-running A2A tasks as MCP tasks: create, get, result, list, cancel', async () => {
    const { client } = await connect(gw.url);
    expect(client.getServerCapabilities()?.tasks).toMatchObject({ requests: { tools: { call: {} } } });
    const start = (message: string) =>
      client.request(
        {
          method: 'tools/call',
          params: { name: 'travel.send_message', arguments: { message }, task: { ttl: 60_000 } },
        },
        CreateTaskResultSchema,
      );
    const { task } = await start('slow 4');
    expect(task.taskId).toMatch(/^travel:/);
    expect(['working', 'completed']).toContain(task.status);
    const got = await client.request(
      { method: 'tasks/get', params: { taskId: task.taskId } },
      GetTaskResultSchema,
    );
    expect(got.taskId).toBe(task.taskId);
    const listed = await client.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(listed.tasks.map((t) => t.taskId)).toContain(task.taskId);
    const result = await client.request(
      { method: 'tasks/result', params: { taskId: task.taskId } },
      CallToolResultSchema,
    );
    expect(result.content).toEqual([{ type: 'text', text: 'done after 4 steps' }]);
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });

    const { task: long } = await start('slow 50');
    const cancelled = await client.request(
      { method: 'tasks/cancel', params: { taskId: long.taskId } },
      CancelTaskResultSchema,
    );
    expect(cancelled.taskId).toBe(long.taskId);
    expect(agent.cancelled).toContain(long.taskId.slice('travel:'.length));
    await client.close();
  });

  it('a refreshed card changes the tools, and clients are told (list_changed)', async () => {
    const { client } = await connect(gw.url);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    agent.addSkill('rent-car');
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 5000 })
      .toContain('travel.rent-car');
    await expect.poll(() => changed, { timeout: 5000 }).toBeGreaterThan(0);
    await client.close();
  });

  it('MCP cancellation → A2A CancelTask', async () => {
    const { client } = await connect(gw.url);
    const ac = new AbortController();
    let progress = 0;
    const call = client.callTool(
      { name: 'travel.send_message', arguments: { message: 'slow 30' } },
      undefined,
      { signal: ac.signal, onprogress: () => void progress++ },
    );
    // The task is running at the agent once its first status update arrives as progress.
    await waitFor(() => progress > 0, { what: 'a status update of the running task' });
    ac.abort();
    await expect(call).rejects.toThrow();
    await expect.poll(() => agent.cancelled.length, { timeout: 5000 }).toBeGreaterThan(0);
    await client.close();
  });
});

describe('MCP tools → A2A agent: A2A SDK client → gateway → MCP servers', () => {
  let gw: TestGateway;
  let base: string;

  beforeAll(async () => {
    gw = await startGateway({
      upstreams: [
        { name: 'fixture', mcp: stdioFixture('fixture') },
        { name: 'everything', mcp: { command: process.execPath, args: [EVERYTHING, 'stdio'] } },
      ],
      a2a: { groups: [{ name: 'maths', tools: ['fixture.add', 'everything.get-sum'] }] },
    });
    base = gw.url.replace(/\/mcp$/, '');
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it('core: the card has one skill per tool and the tools\u2019 schemas in an extension', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const card = await client.getAgentCard();
    expect(card.skills.map((s) => s.id)).toContain('fixture.echo');
    const ext = card.capabilities?.extensions.find((e) => e.uri.includes('mcp-tools'));
    expect(
      (ext?.params as { tools: Record<string, { inputSchema: { properties: object } }> }).tools[
        'fixture.echo'
      ]!.inputSchema.properties,
    ).toHaveProperty('text');
  });

  it('core: a data part {tool, arguments} calls the tool; content → artifact; structured → data part', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const task = (await client.sendMessage(
      send([data({ tool: 'fixture.add', arguments: { a: 2, b: 3 } })]),
    )) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const parts = task.artifacts[0]!.parts;
    expect(parts.map((p) => p.content?.$case)).toEqual(['text', 'data']);
    expect(parts[1]!.content).toEqual({ $case: 'data', value: { sum: 5 } });
    const failed = (await client.sendMessage(send([data({ tool: 'fixture.error', arguments: {} })]))) as Task;
    expect(failed.status?.state).toBe(TaskState.TASK_STATE_FAILED);
  });

  it('core: server-everything over stdio, via REST; plain text gets the list of skills', async () => {
    const client = await a2aClient(`${base}/a2a/everything`, 'HTTP+JSON');
    const task = (await client.sendMessage(
      send([data({ tool: 'everything.echo', arguments: { message: 'hi' } })]),
    )) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(task)).toContain('hi');
    const help = (await client.sendMessage(send([text('what can you do?')]))) as Message;
    expect(help.role).toBe(Role.ROLE_AGENT);
    const helpText = help.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
    expect(helpText).toContain('everything.echo');
    expect(helpText).toContain('"tool"');
  });

  it('streaming: MCP progress → WORKING status updates; groups are agents too', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const working: string[] = [];
    let final: number | undefined;
    for await (const ev of client.sendMessageStream(
      send([data({ tool: 'fixture.slow', arguments: { ms: 300, steps: 3 } })]),
    )) {
      if (ev.payload?.$case === 'statusUpdate') {
        const s = ev.payload.value.status!;
        if (s.state === TaskState.TASK_STATE_WORKING)
          working.push(
            s.message?.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('') ?? '',
          );
        final = s.state;
      }
    }
    expect(working.length).toBeGreaterThanOrEqual(3);
    expect(final).toBe(TaskState.TASK_STATE_COMPLETED);
    const maths = await a2aClient(`${base}/a2a/maths`);
    const card = await maths.getAgentCard();
    expect(card.skills.map((s) => s.id).sort()).toEqual(['everything.get-sum', 'fixture.add']);
  });

  it('input-required: an MCP elicitation becomes INPUT_REQUIRED; the next message answers it', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const asked = (await client.sendMessage(
      send([data({ tool: 'fixture.elicit', arguments: { message: 'Favourite colour?' } })]),
    )) as Task;
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const question = asked.status?.message?.parts
      .map((p) => (p.content?.$case === 'text' ? p.content.value : ''))
      .join('');
    expect(question).toContain('Favourite colour?');
    const done = (await client.sendMessage(
      send([text('blue')], { ids: { taskId: asked.id, contextId: asked.contextId } }),
    )) as Task;
    expect(done.id).toBe(asked.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(done)).toBe('elicited: accept {"color":"blue"}');
  });

  it('input-required: cancelling a task that waits for input cancels the tool call upstream', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const asked = (await client.sendMessage(
      send([data({ tool: 'fixture.elicit', arguments: { message: 'Never answered' } })]),
    )) as Task;
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const { client: mcp } = await connect(gw.url);
    const seen = async () =>
      JSON.parse(
        ((await mcp.callTool({ name: 'fixture.cancelled', arguments: {} })).content as { text: string }[])[0]!
          .text,
      ) as string[];
    const before = (await seen()).length;
    const cancelled = await client.cancelTask({ tenant: '', id: asked.id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await expect.poll(async () => (await seen()).length, { timeout: 5000 }).toBe(before + 1);
    await mcp.close();
  });

  it('tasks: ListTasks and GetTask answer from the store; unknown task → TaskNotFound', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const task = (await client.sendMessage(
      send([data({ tool: 'fixture.echo', arguments: { text: 'kept' } })]),
    )) as Task;
    const listed = await client.listTasks({
      tenant: '',
      contextId: task.contextId,
      status: 0,
      pageToken: '',
      statusTimestampAfter: undefined,
    });
    expect(listed.tasks.map((t) => t.id)).toContain(task.id);
    await expect(client.getTask({ tenant: '', id: 'nope' })).rejects.toThrow(/not found/i);
  });

  it('push: configs to private addresses are refused (SSRF)', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const task = (await client.sendMessage(
      send([data({ tool: 'fixture.echo', arguments: { text: 'x' } })]),
    )) as Task;
    await expect(
      client.createTaskPushNotificationConfig({
        tenant: '',
        id: '',
        taskId: task.id,
        url: 'http://127.0.0.1:9/hook',
        token: '',
        authentication: undefined,
      }),
    ).rejects.toThrow(/loopback\/private/);
  });
});

describeEachStore('A2A tasks across a gateway restart', (target) => {
  afterAll(async () => {
    await target().cleanup();
  });

  it('tasks: a served agent\u2019s tasks are intact after a restart on the same store, one finished in the drain', async () => {
    const store = await target().freshUrl();
    const upstreams = [{ name: 'fixture', mcp: stdioFixture('fixture') }];
    const first = await startGateway({ store, upstreams });
    const port = Number(new URL(first.url).port);
    const url = `${first.url.replace(/\/mcp$/, '')}/a2a/fixture`;
    let task: Task;
    let running: Task;
    try {
      const client = await a2aClient(url);
      task = (await client.sendMessage(
        send([data({ tool: 'fixture.echo', arguments: { text: 'persisted' } })]),
      )) as Task;
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      // A task still running when the gateway is stopped (as on SIGTERM) finishes during the drain.
      running = (await client.sendMessage(
        send([data({ tool: 'fixture.slow', arguments: { ms: 1500, steps: 3 } })], {
          returnImmediately: true,
        }),
      )) as Task;
      expect(running.status?.state).not.toBe(TaskState.TASK_STATE_COMPLETED);
    } finally {
      await first.stop();
    }
    const second = await startGateway({ store, server: { port }, upstreams });
    try {
      const client = await a2aClient(url);
      const again = await client.getTask({ tenant: '', id: task.id });
      expect(again.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(again)).toBe('echo: persisted');
      const listed = await client.listTasks({
        tenant: '',
        contextId: task.contextId,
        status: 0,
        pageToken: '',
        statusTimestampAfter: undefined,
      });
      expect(listed.tasks.map((t) => t.id)).toEqual([task.id]);
      const drained = await client.getTask({ tenant: '', id: running!.id });
      expect(drained.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(drained)).toBe('slept 1500');
    } finally {
      await second.stop();
    }
  });
});

describe('A2A upstream cards: validation and signatures', () => {
  let signed: A2aAgentFixture;
  let tampered: A2aAgentFixture;
  let broken: A2aAgentFixture;
  let gw: TestGateway;
  let base: string;

  beforeAll(async () => {
    signed = await startA2aAgent({ sign: {} });
    tampered = await startA2aAgent({ sign: { tamper: true } });
    broken = await startA2aAgent({
      brokenCard: { name: 'No interfaces', description: 'x', version: '1', skills: [] },
    });
    gw = await startGateway({
      upstreams: [
        {
          name: 'signed',
          a2a: { url: signed.url, requireSignature: true, jwksUrl: `${signed.url}/jwks.json` },
        },
        { name: 'tampered', a2a: { url: tampered.url } },
        { name: 'broken', a2a: { url: broken.url } },
      ],
    });
    base = gw.url.replace(/\/mcp$/, '');
  });
  afterAll(async () => {
    await gw?.stop();
    await Promise.all([signed?.stop(), tampered?.stop(), broken?.stop()]);
  });

  it('core: a valid JWS signature is verified; a tampered card and an invalid card are refused, by name', async () => {
    const ready = (await (await fetch(`${base}/readyz`)).json()) as {
      upstreams: { name: string; state: string; error?: string; agent?: { signed: boolean } }[];
    };
    const by = Object.fromEntries(ready.upstreams.map((u) => [u.name, u]));
    expect(by.signed).toMatchObject({ state: 'ready', agent: { signed: true } });
    expect(by.tampered!.state).not.toBe('ready');
    expect(by.tampered!.error).toMatch(/signature is invalid/);
    expect(by.broken!.error).toMatch(/invalid Agent Card \(v1\.0 shape\).*supportedInterfaces/);
    // Refused agents are not served, and nothing else is affected.
    expect((await fetch(`${base}/a2a/tampered/.well-known/agent-card.json`)).status).not.toBe(200);
    const { client } = await connect(gw.url);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('signed.send_message');
    expect(names.some((n) => n.startsWith('tampered.') || n.startsWith('broken.'))).toBe(false);
    const r = await client.callTool({ name: 'signed.send_message', arguments: { message: 'echo ok' } });
    expect(r.content).toEqual([{ type: 'text', text: 'ok' }]);
    await client.close();
  });
});

describe('A2A push notifications from a served agent', () => {
  let gw: TestGateway;
  let base: string;
  let receiver: Server;
  let hookUrl: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let failFirst = 1;
  let refused = '';

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (failFirst-- > 0) {
          refused = body; // the first attempt fails, and must be retried
          return void res.writeHead(503).end();
        }
        received.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    gw = await startGateway({
      upstreams: [{ name: 'fixture', mcp: stdioFixture('fixture') }],
      a2a: { push: { allowPrivateNetworks: true } },
    });
    base = gw.url.replace(/\/mcp$/, '');
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    receiver?.close();
  });

  it('push: events are delivered to the webhook with the config\u2019s credentials, retried after a failure', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const request = send([data({ tool: 'fixture.slow', arguments: { ms: 200, steps: 2 } })], {
      returnImmediately: true,
    });
    request.configuration.taskPushNotificationConfig = {
      tenant: '',
      id: 'hook-1',
      taskId: '',
      url: hookUrl,
      token: '',
      authentication: { scheme: 'Bearer', credentials: 'hook-secret' },
    } as never;
    const task = (await client.sendMessage(request)) as Task;
    await expect
      .poll(() => received.some((r) => r.body.includes('TASK_STATE_COMPLETED')), { timeout: 10_000 })
      .toBe(true);
    expect(received.every((r) => r.headers.authorization === 'Bearer hook-secret')).toBe(true);
    expect(refused).not.toBe('');
    expect(received.map((r) => r.body)).toContain(refused);
    expect(received.every((r) => r.body.includes(task.id))).toBe(true);
    const configs = await client.listTaskPushNotificationConfig({
      tenant: '',
      taskId: task.id,
      pageSize: 10,
      pageToken: '',
    });
    expect(configs.configs.map((c) => c.url)).toEqual([hookUrl]);
  });
});
