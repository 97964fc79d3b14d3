import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { estimateTokens, fitToContext } from './context.js';
import { runLoop, type LoopInput } from './loop.js';
import type { ChatMessage, ChatRequest, ChatResult, ModelProvider } from './provider.js';
import type { AgentTool } from './tools.js';

/** A provider that answers from a list, recording what it was asked. */
function fakeModel(answers: (ChatResult | Error | ((req: ChatRequest) => ChatResult))[]) {
  const requests: ChatRequest[] = [];
  const provider: ModelProvider = {
    kind: 'openai',
    name: 'fake',
    chat(req) {
      requests.push({ ...req, messages: [...req.messages] });
      const next = answers.shift();
      if (!next) return Promise.reject(new Error('no more answers'));
      if (next instanceof Error) return Promise.reject(next);
      return Promise.resolve(typeof next === 'function' ? next(req) : next);
    },
    close: () => Promise.resolve(),
  };
  return { provider, requests };
}

const answer = (text: string): ChatResult => ({ text, toolCalls: [], finishReason: 'stop' });
const calls = (...c: [string, string][]): ChatResult => ({
  text: '',
  toolCalls: c.map(([name, args], i) => ({ id: `c${i}`, name, arguments: args })),
  finishReason: 'tool_calls',
});
const tool = (gatewayName: string): AgentTool => {
  const modelName = gatewayName.replace(/\./g, '_');
  return {
    gatewayName,
    modelName,
    spec: { name: modelName, description: '', parameters: { type: 'object' } },
  };
};

function input(over: Partial<LoopInput>): LoopInput {
  return {
    provider: fakeModel([]).provider,
    instructions: 'sys',
    earlier: [],
    input: 'hi',
    tools: [tool('docs.echo')],
    maxSteps: 4,
    contextWindow: 8192,
    signal: new AbortController().signal,
    callTool: (_t, args) => Promise.resolve({ text: JSON.stringify(args), isError: false }),
    refuse: () => {},
    ...over,
  };
}

describe('runLoop', () => {
  it('answers directly when the model calls no tool', async () => {
    const m = fakeModel([answer('hello')]);
    const r = await runLoop(input({ provider: m.provider }));
    expect(r).toMatchObject({ text: 'hello', stop: 'answer', steps: 1, toolCalls: 0 });
    expect(r.added).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
    ]);
  });

  it('runs all calls of a turn together and sends each result back under its call id', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const m = fakeModel([calls(['docs_echo', '{"n":1}'], ['docs_echo', '{"n":2}']), answer('done')]);
    const r = await runLoop(
      input({
        provider: m.provider,
        callTool: async (_t, args) => {
          started.push(JSON.stringify(args));
          // Neither call finishes until both have started: only a parallel loop gets past this.
          if (started.length === 2) release();
          await gate;
          return { text: `got ${JSON.stringify(args)}`, isError: false };
        },
      }),
    );
    expect(r.text).toBe('done');
    expect(m.requests[1]!.messages.slice(-2)).toEqual([
      { role: 'tool', toolCallId: 'c0', name: 'docs_echo', content: 'got {"n":1}' },
      { role: 'tool', toolCallId: 'c1', name: 'docs_echo', content: 'got {"n":2}' },
    ]);
  });

  it('feeds back unknown tools (and reports them), bad JSON and tool failures', async () => {
    const refused: string[] = [];
    const m = fakeModel([
      calls(['rm_rf', '{}'], ['docs_echo', '{oops'], ['docs.echo', '{"fail":true}']),
      answer('sorry'),
    ]);
    await runLoop(
      input({
        provider: m.provider,
        refuse: (n) => refused.push(n),
        callTool: (_t, args) =>
          (args as { fail?: boolean }).fail
            ? Promise.reject(
                new GatewayError('SWY_RATE_LIMITED', { limit: 'x', rate: 1, per: 'minute', retryAfter: 3 }),
              )
            : Promise.resolve({ text: 'ok', isError: false }),
      }),
    );
    expect(refused).toEqual(['rm_rf']);
    const results = m.requests[1]!.messages.slice(-3).map((x) => x.content);
    expect(results[0]).toMatch(/^Error: "rm_rf" is not a tool you can use\. Your tools: docs_echo\.$/);
    expect(results[1]).toMatch(/^Error: the arguments are not valid JSON/);
    expect(results[2]).toMatch(/^Error: Too many requests/);
  });

  it('stops at maxSteps, asking the last turn to answer without tools', async () => {
    const m = fakeModel([calls(['docs_echo', '{}']), calls(['docs_echo', '{}']), calls(['docs_echo', '{}'])]);
    const r = await runLoop(input({ provider: m.provider, maxSteps: 3 }));
    expect(r.stop).toBe('max_steps');
    expect(r.steps).toBe(3);
    expect(m.requests.map((q) => q.toolChoice)).toEqual(['auto', 'auto', 'none']);
  });

  it('sums usage over the turns', async () => {
    const m = fakeModel([
      { ...calls(['docs_echo', '{}']), usage: { promptTokens: 10, completionTokens: 2 } },
      { ...answer('x'), usage: { promptTokens: 15, completionTokens: 3 } },
    ]);
    const r = await runLoop(input({ provider: m.provider }));
    expect(r.usage).toEqual({ promptTokens: 25, completionTokens: 5 });
  });

  it('retries a turn with a shorter history when the model says the context overflowed', async () => {
    const earlier: ChatMessage[] = [];
    for (let i = 0; i < 10; i++)
      earlier.push(
        { role: 'user', content: `q${i} ${'x'.repeat(800)}` },
        { role: 'assistant', content: `a${i}` },
      );
    const overflow = new GatewayError('SWY_MODEL_CONTEXT_OVERFLOW', { model: 'fake', detail: 'too long' });
    const m = fakeModel([overflow, answer('fits now')]);
    const r = await runLoop(input({ provider: m.provider, earlier, contextWindow: 2048, maxTokens: 100 }));
    expect(r.text).toBe('fits now');
    expect(m.requests[1]!.messages.length).toBeLessThan(m.requests[0]!.messages.length);
    // A model error that is not about the context ends the run.
    const down = fakeModel([
      new GatewayError('SWY_MODEL_UNAVAILABLE', { model: 'fake', detail: '503', retries: 2 }),
    ]);
    await expect(runLoop(input({ provider: down.provider }))).rejects.toThrow(/unavailable/);
  });

  it('stops when the run is aborted', async () => {
    const controller = new AbortController();
    const m = fakeModel([calls(['docs_echo', '{}']), answer('never')]);
    const run = runLoop(
      input({
        provider: m.provider,
        signal: controller.signal,
        callTool: () => {
          controller.abort(new Error('cancelled'));
          return Promise.reject(new Error('cancelled'));
        },
      }),
    );
    await expect(run).rejects.toThrow('cancelled');
    expect(m.requests).toHaveLength(1);
  });
});

describe('fitToContext', () => {
  const system: ChatMessage = { role: 'system', content: 'sys' };
  const current: ChatMessage[] = [{ role: 'user', content: 'now' }];

  it('keeps everything that fits', () => {
    const earlier: ChatMessage[] = [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
    ];
    expect(fitToContext(system, earlier, current, [], 1000)).toEqual({
      messages: [system, ...earlier, ...current],
      dropped: 0,
    });
  });

  it('drops whole turns from the oldest, never leaving a tool result without its call', () => {
    const earlier: ChatMessage[] = [
      { role: 'user', content: 'old '.repeat(100) },
      { role: 'assistant', content: '', toolCalls: [{ id: '1', name: 't', arguments: '{}' }] },
      { role: 'tool', toolCallId: '1', name: 't', content: 'r'.repeat(100) },
      { role: 'assistant', content: 'old answer' },
      { role: 'user', content: 'recent' },
      { role: 'assistant', content: 'recent answer' },
    ];
    const budget = estimateTokens([system, ...current, ...earlier.slice(2)]);
    const { messages, dropped } = fitToContext(system, earlier, current, [], budget + 5);
    expect(dropped).toBe(4);
    expect(messages[1]!.content).toMatch(/4 earlier messages were left out/);
    expect(messages.slice(2).map((m) => m.content)).toEqual(['recent', 'recent answer', 'now']);
  });
});
