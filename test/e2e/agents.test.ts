/**
 * Declared agents end to end: a scripted OpenAI-compatible model server (real HTTP, streaming,
 * tool-call deltas) → the gateway's agent runtime → real tools (an MCP server over stdio, an A2A
 * SDK agent) → answers served over A2A (the A2A SDK client) and as the MCP tool `agent.<name>`
 * (the MCP SDK client).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TaskState, type Task } from '@a2a-js/sdk';
import {
  CallToolResultSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { a2aClient, artifactText, sendParams, textPart } from '../support/a2a-client.js';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import { stdioFixture } from '../support/fixtures.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';
import {
  startScriptedModel,
  type ChatCompletionRequest,
  type ScriptedModel,
} from '../support/scripted-model.js';
import { describeEachStore } from '../support/stores.js';
import type { ConfigInput } from '../../src/index.js';
import { validateConfig } from '../../src/config/load.js';
import { createKey } from '../../src/policy/keys.js';

const API_KEY = 'sk-model-secret-4c1f9e';

/** The messages of a model request, as `role: content` lines (tool calls as `→ name(args)`). */
function transcript(req: ChatCompletionRequest): string[] {
  return (
    req.messages as {
      role: string;
      content: string | null;
      tool_calls?: { function: { name: string; arguments: string } }[];
    }[]
  ).map((m) =>
    m.tool_calls?.length
      ? `${m.role}: → ${m.tool_calls.map((c) => `${c.function.name}(${c.function.arguments})`).join(', ')}`
      : `${m.role}: ${m.content ?? ''}`,
  );
}

const toolNames = (req: ChatCompletionRequest) =>
  ((req.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);

function agentsConfig(model: ScriptedModel, a2aUrl: string, extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    upstreams: [
      { name: 'docs', mcp: stdioFixture('docs') },
      { name: 'travel', a2a: { url: a2aUrl } },
    ],
    models: [
      {
        name: 'scripted',
        openai: {
          baseUrl: model.url,
          model: 'scripted-1',
          apiKey: API_KEY,
          retries: 1,
          retryDelayMs: 10,
          timeoutMs: 5000,
        },
      },
    ],
    agents: [
      {
        name: 'researcher',
        model: 'scripted',
        description: 'Looks things up with the docs tools and the travel agent.',
        instructions: 'You are a careful researcher.',
        tools: ['docs.echo', 'docs.add', 'docs.slow', 'docs.hang', 'agent:travel'],
        maxSteps: 4,
        skills: [{ id: 'research', description: 'Answers questions using tools.' }],
      },
      { name: 'asker', model: 'scripted', instructions: 'Ask the user.', tools: ['docs.elicit'] },
    ],
    ...extra,
  };
}

async function callAgent(client: McpClient, args: Record<string, unknown>, name = 'agent.researcher') {
  return CallToolResultSchema.parse(await client.callTool({ name, arguments: args }, CallToolResultSchema));
}

const resultText = (r: { content: { type: string; text?: string }[] }) =>
  r.content.map((c) => c.text ?? '').join('');

describe('agents: tool loop through the gateway', () => {
  let model: ScriptedModel;
  let travel: A2aAgentFixture;
  let gw: TestGateway;
  let base: string;
  let mcp: McpClient;

  beforeAll(async () => {
    model = await startScriptedModel();
    travel = await startA2aAgent();
    gw = await startGateway(agentsConfig(model, travel.url));
    base = gw.url.replace(/\/mcp$/, '');
    mcp = (await connect(gw.url)).client;
  });
  afterAll(async () => {
    await mcp?.close();
    await gw?.stop();
    await travel?.stop();
    await model?.close();
  });
  afterEach(() => model.reset());

  it('runs a multi-step task across an MCP tool and an A2A agent, as the MCP tool agent.researcher', async () => {
    const listed = await mcp.listTools();
    expect(listed.tools.map((t) => t.name)).toContain('agent.researcher');
    model.script(
      { toolCalls: [{ name: 'docs_echo', arguments: { text: 'hi' } }] },
      { toolCalls: [{ name: 'travel_send_message', arguments: { message: 'echo paris' } }] },
      { text: 'Found: echo hi, and paris.', usage: { prompt: 50, completion: 7 } },
    );
    const result = await callAgent(mcp, { message: 'Find things' });
    expect(result.isError).toBeFalsy();
    expect(resultText(result)).toBe('Found: echo hi, and paris.');
    const meta = result._meta?.['dev.switchyard/agent'] as Record<string, unknown>;
    expect(meta).toMatchObject({ model: 'scripted', stop: 'answer', steps: 3, toolCalls: 2 });
    expect((meta.usage as { completionTokens: number }).completionTokens).toBeGreaterThanOrEqual(7);

    // What the model saw: only the agent's tools, the results of each call, in order.
    expect(model.requests).toHaveLength(3);
    expect(toolNames(model.requests[0]!).sort()).toEqual(
      ['docs_add', 'docs_echo', 'docs_hang', 'docs_slow', 'travel_send_message'].sort(),
    );
    expect(transcript(model.requests[0]!)).toEqual([
      'system: You are a careful researcher.',
      'user: Find things',
    ]);
    expect(transcript(model.requests[1]!).at(-1)).toBe('tool: echo: hi');
    expect(transcript(model.requests[2]!).at(-1)).toBe('tool: paris');
    expect(model.headers[0]!.authorization).toBe(`Bearer ${API_KEY}`);

    // Each tool call went through the data path: on the ledger as the principal, made by the agent.
    const entries = await ledgerEntries(gw.gateway);
    const calls = entries.filter((e) => e.agent === 'researcher');
    expect(calls.map((e) => [e.target, e.transport, e.outcome])).toEqual([
      ['docs.echo', 'agent', 'ok'],
      ['travel.send_message', 'agent', 'ok'],
    ]);
    expect(entries.some((e) => e.target === 'agent.researcher' && e.outcome === 'ok')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(API_KEY);

    // And counted: runs, model turns, tokens.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_agent_runs_total\{agent="researcher",outcome="answer"\} 1\b/);
    expect(metrics).toMatch(/switchyard_agent_steps_total\{agent="researcher"\} 3\b/);
    expect(metrics).toMatch(
      /switchyard_agent_tokens_total\{agent="researcher",model="scripted",kind="completion"\} [1-9]/,
    );
  });

  it('runs independent tool calls in parallel', async () => {
    model.script(
      {
        toolCalls: [
          { name: 'docs_slow', arguments: { ms: 400 } },
          { name: 'docs_slow', arguments: { ms: 400 } },
        ],
      },
      { text: 'both done' },
    );
    const result = await callAgent(mcp, { message: 'two slow things' });
    expect(resultText(result)).toBe('both done');
    const tail = transcript(model.requests[1]!).slice(-2);
    expect(tail).toEqual(['tool: slept 400', 'tool: slept 400']);
    // Both calls were in flight together: the second started before the first ended.
    const slow = (await ledgerEntries(gw.gateway)).filter((e) => e.target === 'docs.slow');
    expect(slow).toHaveLength(2);
    const [a, b] = slow.map((e) => ({ start: Number(e.time), end: Number(e.time) + Number(e.latencyMs) }));
    expect(Math.max(a!.start, b!.start)).toBeLessThan(Math.min(a!.end, b!.end));
  });

  it('streams model tokens to an A2A client as artifact updates, tool steps as status updates', async () => {
    const client = await a2aClient(`${base}/a2a/researcher`);
    model.script(
      { toolCalls: [{ name: 'docs_echo', arguments: { text: 'x' } }], text: 'Let me check. ' },
      { text: 'The answer is forty-two.', chunks: 5 },
    );
    const chunks: string[] = [];
    const statuses: string[] = [];
    let final: TaskState | undefined;
    for await (const ev of client.sendMessageStream(sendParams([textPart('What is the answer?')]))) {
      const p = ev.payload;
      if (p?.$case === 'artifactUpdate') {
        const t = p.value.artifact?.parts
          .map((x) => (x.content?.$case === 'text' ? x.content.value : ''))
          .join('');
        chunks.push(`${p.value.lastChunk ? 'last' : p.value.append ? '+' : '='}${t}`);
      }
      if (p?.$case === 'statusUpdate') {
        final = p.value.status?.state;
        const msg = p.value.status?.message?.parts
          .map((x) => (x.content?.$case === 'text' ? x.content.value : ''))
          .join('');
        if (msg) statuses.push(msg);
      }
    }
    expect(final).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(statuses.some((s) => s.includes('Step 1: calling docs.echo'))).toBe(true);
    // The first turn's words were cleared (=) when it turned into a tool call; the answer streamed
    // in pieces (its first replacing, the rest appended), and the last chunk holds it whole.
    expect(chunks[0]).toBe('=Let me check. '.slice(0, chunks[0]!.length));
    const cleared = chunks.indexOf('=');
    expect(cleared).toBeGreaterThan(0);
    const pieces = chunks.slice(cleared + 1, -1);
    expect(pieces.length).toBeGreaterThanOrEqual(5);
    expect(pieces[0]!.startsWith('=')).toBe(true);
    expect(pieces.slice(1).every((c) => c.startsWith('+'))).toBe(true);
    expect(pieces.map((c) => c.slice(1)).join('')).toBe('The answer is forty-two.');
    expect(chunks.at(-1)).toBe('lastThe answer is forty-two.');
  });

  it('refuses (and records) a tool the agent may not use, and feeds the refusal back to the model', async () => {
    model.script(
      { toolCalls: [{ name: 'docs_whoami', arguments: {} }] },
      { toolCalls: [{ name: 'docs_echo', arguments: '{"text": ' }] },
      { text: 'ok, giving up on that' },
    );
    const result = await callAgent(mcp, { message: 'try something forbidden' });
    expect(resultText(result)).toBe('ok, giving up on that');
    const second = transcript(model.requests[1]!).at(-1)!;
    expect(second).toMatch(/tool: Error: "docs_whoami" is not a tool you can use/);
    expect(transcript(model.requests[2]!).at(-1)).toMatch(/not valid JSON/);
    const refused = (await ledgerEntries(gw.gateway)).filter((e) => e.errorCode === 'SWY_AGENT_TOOL_REFUSED');
    expect(refused.at(-1)).toMatchObject({ target: 'docs_whoami', agent: 'researcher', outcome: 'error' });
  });

  it('feeds a tool error back as a tool result and stops at maxSteps', async () => {
    model.onRequest(() => ({ toolCalls: [{ name: 'docs_add', arguments: { a: 'one', b: 2 } }] }));
    const result = await callAgent(mcp, { message: 'loop forever' });
    const meta = result._meta?.['dev.switchyard/agent'] as Record<string, unknown>;
    expect(meta).toMatchObject({ stop: 'max_steps', steps: 4 });
    expect(model.requests).toHaveLength(4);
    // Invalid arguments are answered by the gateway's validation, as a tool error the model sees.
    expect(transcript(model.requests[1]!).at(-1)).toMatch(/^tool: Error: .*(a|arguments)/);
    // The last turn may not call tools.
    expect(model.requests[3]!.tool_choice).toBe('none');
    expect(model.requests[0]!.tool_choice).toBe('auto');
  });

  it('fails with a clear message when the model is down or answers garbage, never hangs', async () => {
    model.onRequest(() => ({ status: 503 }));
    const down = await callAgent(mcp, { message: 'hello?' });
    expect(down.isError).toBe(true);
    expect(resultText(down)).toMatch(/Model "scripted" is unavailable/);
    expect(model.requests).toHaveLength(2); // one retry
    model.reset();
    model.onRequest(() => ({ malformed: '{"choices": [' }));
    const garbage = await callAgent(mcp, { message: 'hello?' });
    expect(garbage.isError).toBe(true);
    expect(resultText(garbage)).toMatch(/not valid chat-completions output/);
    model.reset();
    model.onRequest(() => ({ status: 401, body: { error: { message: `bad key ${API_KEY.slice(0, 3)}…` } } }));
    const rejected = await callAgent(mcp, { message: 'hello?' });
    expect(resultText(rejected)).toMatch(/refused the request \(HTTP 401\)/);
    expect(resultText(rejected)).not.toContain(API_KEY);

    // Over A2A the task fails with the same message.
    model.reset();
    model.onRequest(() => ({ status: 503 }));
    const client = await a2aClient(`${base}/a2a/researcher`);
    const task = (await client.sendMessage(sendParams([textPart('hello?')]))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    const why = task.status?.message?.parts
      .map((p) => (p.content?.$case === 'text' ? p.content.value : ''))
      .join('');
    expect(why).toMatch(/SWY_MODEL_UNAVAILABLE/);
  });

  it('cancel stops the model mid-stream', async () => {
    const client = await a2aClient(`${base}/a2a/researcher`);
    model.script({ text: 'This will never finish because the model hangs', hangAfterChunks: 2 });
    let taskId = '';
    let state: TaskState | undefined;
    for await (const ev of client.sendMessageStream(sendParams([textPart('long answer please')]))) {
      const p = ev.payload;
      if (p?.$case === 'task') taskId = p.value.id;
      if (p?.$case === 'artifactUpdate' && taskId) {
        const cancelled = await client.cancelTask({ tenant: '', id: taskId, metadata: undefined });
        expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
      }
      if (p?.$case === 'statusUpdate') state = p.value.status?.state;
    }
    expect(state).toBe(TaskState.TASK_STATE_CANCELED);
    await expect.poll(() => model.aborted, { timeout: 5000 }).toBe(1);
    const got = await client.getTask({ tenant: '', id: taskId });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it('cancel also cancels the tool calls in flight', async () => {
    const client = await a2aClient(`${base}/a2a/researcher`);
    model.script({ toolCalls: [{ name: 'docs_hang', arguments: {} }] });
    const started = (await client.sendMessage(
      sendParams([textPart('wait on something')], { returnImmediately: true }),
    )) as Task;
    await expect
      .poll(
        async () => (await ledgerEntries(gw.gateway)).length && gw.gateway.core.upstream('docs')?.inFlight,
        {
          timeout: 5000,
        },
      )
      .toBe(1);
    await client.cancelTask({ tenant: '', id: started.id, metadata: undefined });
    await expect.poll(() => gw.gateway.core.upstream('docs')?.inFlight, { timeout: 5000 }).toBe(0);
    const hang = (await ledgerEntries(gw.gateway)).filter((e) => e.target === 'docs.hang');
    expect(hang.at(-1)?.outcome).toBe('cancelled');
  });

  it('an MCP client cancelling agent.researcher stops the model', async () => {
    model.script({ text: 'thinking very slowly', hangAfterChunks: 1 });
    const controller = new AbortController();
    const call = mcp.callTool(
      { name: 'agent.researcher', arguments: { message: 'slow' } },
      CallToolResultSchema,
      {
        signal: controller.signal,
      },
    );
    await expect.poll(() => model.requests.length, { timeout: 5000 }).toBe(1);
    controller.abort('changed my mind');
    await expect(call).rejects.toThrow();
    await expect.poll(() => model.aborted, { timeout: 5000 }).toBe(1);
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.filter((e) => e.target === 'agent.researcher').at(-1)?.outcome).toBe('cancelled');
  });

  it("passes a tool's question to the MCP client that called the agent (elicitation)", async () => {
    // A client that cannot answer (and no other client that could): the tool is told so, and the
    // model hears it.
    model.script(
      { toolCalls: [{ name: 'docs_elicit', arguments: { message: 'Favourite colour?' } }] },
      { text: 'I could not ask.' },
    );
    expect(resultText(await callAgent(mcp, { message: 'what do I like?' }, 'agent.asker'))).toBe(
      'I could not ask.',
    );
    expect(transcript(model.requests[1]!).at(-1)).toMatch(/^tool: Error: .*elicitation/i);

    model.reset();
    const { client, transport } = await connect(gw.url, { elicitation: { form: {} } }, 'asking-client');
    let asked = '';
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked = req.params.message;
      return { action: 'accept', content: { color: 'blue' } };
    });
    model.script(
      { toolCalls: [{ name: 'docs_elicit', arguments: { message: 'Favourite colour?' } }] },
      { text: 'You like blue.' },
    );
    const result = await callAgent(client, { message: 'what do I like?' }, 'agent.asker');
    expect(asked).toBe('Favourite colour?');
    expect(resultText(result)).toBe('You like blue.');
    expect(transcript(model.requests[1]!).at(-1)).toBe('tool: elicited: accept {"color":"blue"}');
    await transport.terminateSession();
    await client.close();
  });

  it("turns a tool's question into INPUT_REQUIRED for an A2A client, and continues with its answer", async () => {
    const client = await a2aClient(`${base}/a2a/asker`);
    model.script(
      { toolCalls: [{ name: 'docs_elicit', arguments: { message: 'Favourite colour?' } }] },
      { text: 'You like green.' },
    );
    const asked = (await client.sendMessage(sendParams([textPart('what do I like?')]))) as Task;
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const question = asked.status?.message?.parts
      .map((p) => (p.content?.$case === 'text' ? p.content.value : ''))
      .join('');
    expect(question).toMatch(/^Favourite colour\?\nReply with the color as text/);
    const done = (await client.sendMessage(
      sendParams([textPart('green')], { ids: { taskId: asked.id, contextId: asked.contextId } }),
    )) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(done)).toBe('You like green.');
    expect(transcript(model.requests[1]!).at(-1)).toBe('tool: elicited: accept {"color":"green"}');
  });

  it('serves a card built from the declared skills, listed with the other agents', async () => {
    const card = (await (
      await fetch(`${base}/a2a/researcher/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } })
    ).json()) as {
      name: string;
      description: string;
      capabilities: { streaming: boolean };
      skills: { id: string }[];
    };
    expect(card.name).toBe('researcher');
    expect(card.description).toBe('Looks things up with the docs tools and the travel agent.');
    expect(card.capabilities.streaming).toBe(true);
    expect(card.skills.map((s) => s.id)).toEqual(['research']);
    expect(JSON.stringify(card)).not.toContain('careful researcher'); // instructions stay private
    const listed = (await (await fetch(`${base}/a2a`)).json()) as {
      agents: { name: string; kind: string }[];
    };
    expect(listed.agents).toContainEqual(expect.objectContaining({ name: 'researcher', kind: 'agent' }));
  });
});

describe('agents: policy', () => {
  let model: ScriptedModel;
  let travel: A2aAgentFixture;
  let gw: TestGateway;
  let alice: McpClient;
  let bobKey: string;

  beforeAll(async () => {
    model = await startScriptedModel();
    travel = await startA2aAgent();
    gw = await startGateway(
      agentsConfig(model, travel.url, {
        auth: { required: true },
        policies: [
          { effect: 'allow', principals: ['alice', 'bob'] },
          { name: 'no-add-for-alice', effect: 'deny', principals: ['alice'], tools: ['docs.add'] },
        ],
      }),
    );
    const keys = gw.gateway.core.store.apiKeys;
    const { key } = await createKey(keys, { principal: 'alice' });
    alice = (await connect(gw.url, {}, 'alice', { authorization: `Bearer ${key}` })).client;
    bobKey = (await createKey(keys, { principal: 'bob' })).key;
  });
  afterAll(async () => {
    await alice?.close();
    await gw?.stop();
    await travel?.stop();
    await model?.close();
  });

  it('offers the model only what the caller may use, and refuses the rest through policy', async () => {
    model.script({ toolCalls: [{ name: 'docs_add', arguments: { a: 1, b: 2 } }] }, { text: 'could not add' });
    const result = await callAgent(alice, { message: 'add 1 and 2' });
    expect(resultText(result)).toBe('could not add');
    expect(toolNames(model.requests[0]!)).not.toContain('docs_add');
    expect(toolNames(model.requests[0]!)).toContain('docs_echo');
    expect(transcript(model.requests[1]!).at(-1)).toMatch(/not a tool you can use/);
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.filter((e) => e.agent === 'researcher').at(-1)).toMatchObject({
      principal: 'alice',
      target: 'docs_add',
      errorCode: 'SWY_AGENT_TOOL_REFUSED',
    });
  });

  it("does not let one principal continue another's conversation", async () => {
    model.script({ text: 'secret plans' });
    const first = await callAgent(alice, { message: 'remember the plan' });
    const contextId = (first._meta?.['dev.switchyard/agent'] as { contextId: string }).contextId;
    const bob = (await connect(gw.url, {}, 'bob', { authorization: `Bearer ${bobKey}` })).client;
    const before = model.requests.length;
    const err = await callAgent(bob, { message: 'what was the plan?', contextId }).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    await bob.close();
    expect(err).toMatch(/conversation of another agent or principal/);
    expect(model.requests.length).toBe(before); // the model never saw the request
  });
});

describe('agents: agents calling agents', () => {
  let model: ScriptedModel;
  let gw: TestGateway;
  let mcp: McpClient;

  beforeAll(async () => {
    model = await startScriptedModel();
    gw = await startGateway({
      models: [{ name: 'scripted', openai: { baseUrl: model.url, model: 'm', retries: 0 } }],
      agentCallDepth: 2,
      agents: [
        { name: 'loop', model: 'scripted', instructions: 'Delegate.', tools: ['agent:loop'] },
        { name: 'boss', model: 'scripted', instructions: 'Boss.', tools: ['agent:*'] },
      ],
    });
    mcp = (await connect(gw.url)).client;
  });
  afterAll(async () => {
    await mcp?.close();
    await gw?.stop();
    await model?.close();
  });

  it('stops a loop at agentCallDepth and reports it to the model that made the call', async () => {
    // Ask the next agent, unless the last thing seen is a tool result: then answer with it.
    model.onRequest((req) => {
      const last = req.messages.at(-1) as { role: string; content: string };
      return last.role === 'tool'
        ? { text: `nested said: ${last.content}` }
        : { toolCalls: [{ name: 'agent_loop', arguments: { message: 'again' } }] };
    });
    const result = await callAgent(mcp, { message: 'start' }, 'agent.loop');
    // depth 1 → depth 2 → depth 3 refused; depth 2 answers with the refusal, depth 1 with that.
    expect(resultText(result)).toMatch(
      /^nested said: nested said: Error: Agent "loop" was called 3 agents deep; at most 2/,
    );
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.some((e) => e.errorCode === 'SWY_AGENT_DEPTH_EXCEEDED')).toBe(true);
  });

  it('`agent:*` offers the other agents but not the agent itself', async () => {
    model.script({ text: 'nothing to do' });
    await callAgent(mcp, { message: 'hi' }, 'agent.boss');
    expect(toolNames(model.requests[0]!)).toEqual(['agent_loop']);
  });
});

/** A port nothing listens on right now (for two gateways that name each other in their config). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('agents: agents calling agents across gateways', () => {
  let model: ScriptedModel;
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    model = await startScriptedModel();
    const [pA, pB] = [await freePort(), await freePort()];
    // Gateway A's agent "ping" asks B's "pong" (an A2A upstream of A), which asks A's "ping" …
    const gateway = (port: number, agent: string, peer: string): ConfigInput => ({
      server: { port },
      agentCallDepth: 3,
      models: [{ name: 'scripted', openai: { baseUrl: model.url, model: 'm', retries: 0 } }],
      upstreams: [
        {
          name: 'peer',
          a2a: { url: peer },
          restart: { initialDelayMs: 50, maxDelayMs: 200 },
        },
      ],
      agents: [{ name: agent, model: 'scripted', instructions: agent, tools: ['agent:peer'] }],
    });
    gateways.push(await startGateway(gateway(pA, 'ping', `http://127.0.0.1:${pB}/a2a/pong`)));
    gateways.push(await startGateway(gateway(pB, 'pong', `http://127.0.0.1:${pA}/a2a/ping`)));
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await model?.close();
  });

  it('counts the depth across gateways (A2A message metadata) and stops the loop', async () => {
    model.onRequest((req) => {
      const last = req.messages.at(-1) as { role: string; content: string };
      return last.role === 'tool'
        ? { text: `nested said: ${last.content}` }
        : { toolCalls: [{ name: 'peer_send_message', arguments: { message: 'again' } }] };
    });
    const { client } = await connect(gateways[0]!.url);
    // A started before B was listening: wait until A has fetched B's card.
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name), { timeout: 10_000 })
      .toContain('peer.send_message');
    const result = await callAgent(client, { message: 'start' }, 'agent.ping');
    await client.close();
    // ping(1, A) → pong(2, B) → ping(3, A) → pong(4, B) refused; each answers with what it got.
    expect(resultText(result)).toMatch(/Agent "pong" was called 4 agents deep; at most 3/);
    expect(model.requests.filter((r) => transcript(r)[0] === 'system: ping')).toHaveLength(4);
    expect(model.requests.filter((r) => transcript(r)[0] === 'system: pong')).toHaveLength(2);
  });
});

describeEachStore('agents: conversations', (target) => {
  let model: ScriptedModel;
  let url: string;
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    model = await startScriptedModel();
    url = await target().freshUrl();
    const config: ConfigInput = {
      store: url,
      models: [
        { name: 'scripted', openai: { baseUrl: model.url, model: 'm', retries: 0 }, contextWindow: 600 },
      ],
      agents: [{ name: 'chat', model: 'scripted', instructions: 'Chat.', maxTokens: 50 }],
    };
    // Two replicas on one store: a conversation continues on either.
    gateways.push(await startGateway(config), await startGateway(config));
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await model?.close();
  });

  it('continues a conversation by contextId on another replica, and truncates history to fit', async () => {
    const [one, two] = gateways.map((g) => g.url.replace(/\/mcp$/, ''));
    const first = await a2aClient(`${one}/a2a/chat`);
    model.script({ text: 'Hello Ada.' });
    const t1 = (await first.sendMessage(sendParams([textPart('My name is Ada.')]))) as Task;
    expect(artifactText(t1)).toBe('Hello Ada.');
    const second = await a2aClient(`${two}/a2a/chat`);
    model.script({ text: 'Your name is Ada.' });
    const t2 = (await second.sendMessage(
      sendParams([textPart('What is my name?')], { ids: { contextId: t1.contextId } }),
    )) as Task;
    expect(t2.contextId).toBe(t1.contextId);
    expect(transcript(model.requests[1]!)).toEqual([
      'system: Chat.',
      'user: My name is Ada.',
      'assistant: Hello Ada.',
      'user: What is my name?',
    ]);

    // A long conversation no longer fits 600 tokens: the oldest turns go, with a note.
    for (let i = 0; i < 6; i++) {
      model.script({ text: `reply ${i} ${'x'.repeat(400)}` });
      await second.sendMessage(
        sendParams([textPart(`turn ${i} ${'y'.repeat(400)}`)], { ids: { contextId: t1.contextId } }),
      );
    }
    const last = transcript(model.requests.at(-1)!);
    expect(last[1]).toMatch(/earlier messages? (was|were) left out/);
    expect(last.at(-1)).toMatch(/^user: turn 5/);
    expect(last.join('\n')).not.toContain('My name is Ada.');
  });
});

describe('agents: models in the artifact catalog', () => {
  let model: ScriptedModel;
  let gw: TestGateway;
  let base: string;

  beforeAll(async () => {
    model = await startScriptedModel();
    gw = await startGateway({
      catalog: [
        {
          name: 'example-org/open-model-1b',
          kind: 'model',
          version: '1.0',
          license: { declared: 'OpenMDW-1.0' },
        },
        {
          name: 'meta-llama/Llama-3.1-8B-Instruct',
          kind: 'model',
          license: { declared: 'LicenseRef-Llama-3.1-Community' },
        },
      ] as never[],
      licensePolicy: { allow: ['OpenMDW-1.0'] },
      models: [
        {
          name: 'open',
          openai: { baseUrl: model.url, model: 'm' },
          artifacts: ['example-org/open-model-1b'],
        },
        {
          name: 'nc',
          openai: { baseUrl: model.url, model: 'm' },
          artifacts: ['meta-llama/Llama-3.1-8B-Instruct'],
        },
      ],
      agents: [
        { name: 'writer', model: 'open', instructions: 'Write.' },
        { name: 'nc-writer', model: 'nc', instructions: 'Write.' },
      ],
    });
    base = gw.url.replace(/\/mcp$/, '');
  });
  afterAll(async () => {
    await gw?.stop();
    await model?.close();
  });

  it("puts the model's license on the agent card, and does not serve an agent the policy refuses", async () => {
    const card = (await (
      await fetch(`${base}/a2a/writer/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } })
    ).json()) as { capabilities: { extensions: { uri: string; params: Record<string, unknown> }[] } };
    const ext = card.capabilities.extensions.find(
      (e) => e.uri === 'urn:switchyard:a2a:extension:model-license:v1',
    );
    expect(ext?.params).toMatchObject({
      verdict: 'allow',
      models: [{ name: 'example-org/open-model-1b', license: 'OpenMDW-1.0' }],
    });
    expect((await fetch(`${base}/a2a/nc-writer/.well-known/agent-card.json`)).status).toBe(404);
    const { client } = await connect(gw.url);
    const names = (await client.listTools()).tools.map((t) => t.name);
    await client.close();
    expect(names).toContain('agent.writer');
    expect(names).not.toContain('agent.nc-writer');
  });

  it('lists running agents and their models in the BOM', async () => {
    const { client } = await connect(gw.url);
    const read = await client.readResource({ uri: 'switchyard://bom/cyclonedx' });
    await client.close();
    const bom = JSON.parse((read.contents[0] as { text: string }).text) as {
      components: { name: string }[];
      services: { name: string; description: string }[];
    };
    expect(bom.services).toContainEqual(expect.objectContaining({ name: 'writer', description: 'agent' }));
    expect(bom.services.map((s) => s.name)).not.toContain('nc-writer');
    expect(bom.components.map((c) => c.name)).toContain('example-org/open-model-1b');
  });
});

describe('agents: reload', () => {
  let model: ScriptedModel;
  let gw: TestGateway;

  beforeAll(async () => {
    model = await startScriptedModel();
    gw = await startGateway({
      models: [{ name: 'scripted', openai: { baseUrl: model.url, model: 'm' } }],
      agents: [{ name: 'first', model: 'scripted' }],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await model?.close();
  });

  it('adds and removes agents on reload, telling connected clients', async () => {
    const { client } = await connect(gw.url);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const names = async () => (await client.listTools()).tools.map((t) => t.name);
    expect(await names()).toEqual(['agent.first']);
    await gw.gateway.core.reload(
      validateConfig({
        store: 'sqlite::memory:',
        reload: { watch: false },
        models: [{ name: 'scripted', openai: { baseUrl: model.url, model: 'm' } }],
        agents: [{ name: 'second', model: 'scripted' }],
      }),
    );
    await expect.poll(() => changed, { timeout: 5000 }).toBe(1);
    expect(await names()).toEqual(['agent.second']);
    const base = gw.url.replace(/\/mcp$/, '');
    expect((await fetch(`${base}/a2a/first/.well-known/agent-card.json`)).status).toBe(404);
    expect((await fetch(`${base}/a2a/second/.well-known/agent-card.json`)).status).toBe(200);
    await client.close();
  });
});
