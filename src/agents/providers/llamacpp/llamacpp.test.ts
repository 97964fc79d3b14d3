import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyLlamaGguf } from '../../../../test/support/gguf.js';
import { LlamaCppModelSchema } from '../../../config/schema.js';
import { GatewayError } from '../../../errors/index.js';
import type { ChatRequest, ToolSpec } from '../../provider.js';
import {
  AnswerStream,
  answerSchema,
  grammarSchema,
  LlamaCppProvider,
  readAnswer,
  toHistory,
} from './index.js';

const ENGINE = 'node-llama-cpp';
const engineInstalled = await import(ENGINE).then(
  () => true,
  () => false,
);
if (!engineInstalled) {
  // CI installs the engine (.ci/run); there, its absence is a failure, not a skip.
  if (process.env.CI)
    throw new Error('CI needs node-llama-cpp for the embedded engine tests: npm run engine:install');
  console.warn('node-llama-cpp not installed: run npm run engine:install to test the embedded engine');
}

function provider(modelPath: string, llamacpp: Record<string, unknown> = {}) {
  // One thread: on two cores, llama.cpp's worker threads spin against the test runner's.
  return new LlamaCppProvider(
    LlamaCppModelSchema.parse({
      name: 'tiny',
      llamacpp: { modelPath, contextSize: 1024, gpuLayers: 0, threads: 1, maxTokens: 64, ...llamacpp },
    }),
  );
}

const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [
    { role: 'system', content: 'You answer briefly.' },
    { role: 'user', content: 'What is the weather in Paris this week?' },
  ],
  tools: [],
  signal: new AbortController().signal,
  ...over,
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return (err as GatewayError).code;
}

const weather: ToolSpec = {
  name: 'get_weather',
  description: 'Weather forecast for a city',
  parameters: {
    type: 'object',
    properties: {
      city: { enum: ['Paris', 'Oslo'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
    },
    required: ['city', 'days'],
  },
};
const clock: ToolSpec = {
  name: 'get_time',
  description: 'The time in a zone',
  parameters: {
    type: 'object',
    properties: { zone: { type: 'string', enum: ['UTC', 'CET'] }, precise: { type: 'boolean' } },
    required: ['zone'],
    additionalProperties: false,
  },
};

describe('grammarSchema', () => {
  it('keeps what the grammar supports and makes bounded integers enums', () => {
    expect(grammarSchema(weather.parameters)).toEqual({
      type: 'object',
      properties: { city: { enum: ['Paris', 'Oslo'] }, days: { enum: [1, 2, 3, 4, 5, 6, 7] } },
      additionalProperties: false,
    });
    expect(
      grammarSchema({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10, multipleOf: 3 }),
    ).toEqual({
      enum: [3, 6, 9],
    });
    expect(grammarSchema({ type: 'integer', minimum: 0, maximum: 1e6 })).toEqual({ type: 'integer' });
    expect(grammarSchema({ type: 'number', minimum: 0 })).toEqual({ type: 'number' });
  });

  it('drops what it does not support and maps the rest', () => {
    expect(grammarSchema({ type: 'string', pattern: '^a', format: 'email', maxLength: 5 })).toEqual({
      type: 'string',
      maxLength: 5,
    });
    expect(grammarSchema({ type: 'string', format: 'date' })).toEqual({ type: 'string', format: 'date' });
    expect(grammarSchema({ anyOf: [{ type: 'null' }, { const: 'x' }] })).toEqual({
      oneOf: [{ type: 'null' }, { const: 'x' }],
    });
    expect(grammarSchema({ type: ['string', 'null'] })).toEqual({
      oneOf: [{ type: 'string' }, { type: 'null' }],
    });
    expect(grammarSchema({ type: 'array', items: [{ type: 'boolean' }], maxItems: 1 })).toEqual({
      type: 'array',
      prefixItems: [{ type: 'boolean' }],
      maxItems: 1,
    });
    expect(
      grammarSchema({ allOf: [{ properties: { a: { type: 'boolean' } } }, { properties: { b: {} } }] }),
    ).toEqual({
      type: 'object',
      properties: { a: { type: 'boolean' }, b: grammarSchema({}) },
      additionalProperties: false,
    });
    expect(
      grammarSchema({
        type: 'object',
        properties: { n: { $ref: '#/definitions/N' } },
        definitions: { N: { type: 'null' } },
      }),
    ).toEqual({
      type: 'object',
      properties: { n: { $ref: '#/$defs/N' } },
      additionalProperties: false,
      $defs: { N: { type: 'null' } },
    });
    // An object without listed properties takes any keys; an empty schema is any JSON value.
    expect(grammarSchema({ type: 'object' })).toEqual({
      type: 'object',
      properties: {},
      additionalProperties: true,
    });
    expect(grammarSchema({})).toHaveProperty('oneOf');
  });

  it('offers an answer branch unless a tool call is required', () => {
    expect(answerSchema([clock], true)).toMatchObject({ properties: { tool: { const: 'get_time' } } });
    const auto = answerSchema([clock, weather], false) as { oneOf: unknown[] };
    expect(auto.oneOf).toHaveLength(3);
    expect(auto.oneOf[2]).toEqual({ type: 'object', properties: { answer: { type: 'string' } } });
  });
});

describe('reading the answer', () => {
  it('streams the answer text as the JSON arrives, escapes included', () => {
    const s = new AnswerStream();
    const chunks = ['{ "', 'answer"', ': "Hel', 'lo \\', 'n\\u00e', '9!', '" }'];
    expect(chunks.map((c) => s.push(c)).join('')).toBe('Hello \né!');
    expect(s.text).toBe('Hello \né!');
    const call = new AnswerStream();
    expect(['{"tool": "get_time", ', '"arguments": {"answer": "x"}}'].map((c) => call.push(c)).join('')).toBe(
      '',
    );
  });

  it('maps tool calls and answers, and a cut-off answer to finishReason length', () => {
    const call = readAnswer('{"tool": "get_time", "arguments": {"zone": "UTC"}}', 'stop', '', 'm');
    expect(call.finishReason).toBe('tool_calls');
    expect(call.toolCalls[0]).toMatchObject({ name: 'get_time', arguments: '{"zone":"UTC"}' });
    expect(call.toolCalls[0]!.id).toMatch(/^call_/);
    expect(readAnswer('{"answer": "hi"}', 'stop', 'hi', 'm')).toEqual({
      text: 'hi',
      toolCalls: [],
      finishReason: 'stop',
    });
    expect(readAnswer('{"answer": "hi th', 'length', 'hi th', 'm')).toEqual({
      text: 'hi th',
      toolCalls: [],
      finishReason: 'length',
    });
    expect(() => readAnswer('{"other": 1}', 'stop', '', 'm')).toThrow(GatewayError);
  });

  it('renders tool calls and results into the chat history, tools in the system text', () => {
    const history = toHistory(
      [
        { role: 'user', content: 'time?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c1', name: 'get_time', arguments: '{"zone":"UTC"}' }],
        },
        { role: 'tool', toolCallId: 'c1', name: 'get_time', content: '12:00' },
        { role: 'user', content: 'thanks' },
      ],
      'TOOLS',
    );
    expect(history).toEqual([
      { type: 'system', text: 'TOOLS' },
      { type: 'user', text: 'time?' },
      { type: 'model', response: ['{"tool":"get_time","arguments":{"zone":"UTC"}}'] },
      { type: 'user', text: 'Result of tool get_time (call c1):\n12:00\n\nthanks' },
      { type: 'model', response: [] },
    ]);
  });
});

describe('LlamaCppProvider without a model', () => {
  it('reports a missing model file as SWY_MODEL_UNAVAILABLE, naming the path', async () => {
    const p = provider('/nonexistent/tiny.gguf');
    const err = await p.chat(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('SWY_MODEL_UNAVAILABLE');
    expect((err as GatewayError).message).toContain('/nonexistent/tiny.gguf');
    await p.close();
  });

  it.skipIf(engineInstalled)('reports SWY_ENGINE_MISSING when node-llama-cpp is not installed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swy-llama-'));
    try {
      await writeFile(join(dir, 'tiny.gguf'), tinyLlamaGguf());
      const err = await provider(join(dir, 'tiny.gguf'))
        .chat(request())
        .catch((e: unknown) => e);
      expect((err as GatewayError).code).toBe('SWY_ENGINE_MISSING');
      expect((err as GatewayError).message).toContain('npm run engine:install');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!engineInstalled)('LlamaCppProvider on a tiny random model', () => {
  let dir: string;
  let modelPath: string;
  let llm: LlamaCppProvider;
  const ajv = new Ajv({ strict: false });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-llama-'));
    modelPath = join(dir, 'tiny.gguf');
    await writeFile(modelPath, tinyLlamaGguf());
    llm = provider(modelPath);
  });

  afterAll(async () => {
    await llm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is a GGUF file the engine reads', async () => {
    const { readGgufFileInfo } = (await import(ENGINE)) as {
      readGgufFileInfo(path: string): Promise<{ version: number; tensorInfo?: unknown[]; metadata: unknown }>;
    };
    const info = await readGgufFileInfo(modelPath);
    expect(info.version).toBe(3);
    expect(info.tensorInfo).toHaveLength(21);
    expect(info.metadata).toMatchObject({ general: { architecture: 'llama' }, llama: { block_count: 2 } });
  });

  it('answers concurrent first chats with text, bounded by maxTokens', async () => {
    const streamed: string[] = [];
    const [a, b] = await Promise.all([
      llm.chat(request({ maxTokens: 12, onText: (d) => streamed.push(d) })),
      llm.chat(request({ maxTokens: 8 })),
    ]);
    expect(a.finishReason).toBe('length');
    expect(a.text.length).toBeGreaterThan(0);
    expect(streamed.join('')).toBe(a.text);
    expect(a.toolCalls).toEqual([]);
    expect(a.usage).toEqual({ promptTokens: expect.any(Number), completionTokens: 12 });
    expect(a.usage!.promptTokens).toBeGreaterThan(20);
    expect(b.usage?.completionTokens).toBe(8);
  });

  it('calls a tool with arguments valid against its schema when a call is required', async () => {
    const cases = [
      { tools: [weather, clock], question: 'Weather in Oslo for 3 days?' },
      { tools: [weather, clock], question: 'What time is it?' },
      { tools: [weather], question: 'Hello' },
    ];
    for (const { tools, question } of cases) {
      const res = await llm.chat(
        request({
          messages: [{ role: 'user', content: question }],
          tools,
          toolChoice: 'required',
          maxTokens: 200,
        }),
      );
      expect(res.finishReason).toBe('tool_calls');
      expect(res.toolCalls).toHaveLength(1);
      const call = res.toolCalls[0]!;
      const tool = tools.find((t) => t.name === call.name);
      expect(tool, call.name).toBeDefined();
      const args: unknown = JSON.parse(call.arguments);
      expect(ajv.validate(tool!.parameters, args), JSON.stringify(ajv.errors)).toBe(true);
    }
  });

  it('returns either a valid tool call or streamed text when the model may choose', async () => {
    const streamed: string[] = [];
    const res = await llm.chat(request({ tools: [weather], maxTokens: 60, onText: (d) => streamed.push(d) }));
    if (res.toolCalls.length > 0) {
      expect(ajv.validate(weather.parameters, JSON.parse(res.toolCalls[0]!.arguments))).toBe(true);
      expect(streamed).toEqual([]);
    } else {
      expect(['stop', 'length']).toContain(res.finishReason);
      expect(streamed.join('')).toBe(res.text);
    }
  });

  it('stops generating when the signal is aborted, and serves the next chat', async () => {
    const running = new AbortController();
    const queued = new AbortController();
    let chunks = 0;
    let runningSettled = false;
    const aborted = llm.chat(
      request({
        maxTokens: 400,
        signal: running.signal,
        onText: () => {
          chunks++;
          if (chunks === 1) queued.abort(new Error('gave up waiting'));
          if (chunks === 3) running.abort(new Error('client went away'));
        },
      }),
    );
    aborted.catch(() => (runningSettled = true));
    // Queued behind the running chat and aborted while waiting: it leaves the queue at once.
    const waiting = llm.chat(request({ signal: queued.signal }));
    await expect(waiting).rejects.toThrow('gave up waiting');
    expect(runningSettled).toBe(false);
    await expect(aborted).rejects.toThrow('client went away');
    // Stopped right after the third piece of text, not at maxTokens.
    expect(chunks).toBeLessThan(10);
    const next = await llm.chat(request({ maxTokens: 4 }));
    expect(next.usage?.completionTokens).toBe(4);
  });

  it('reports a prompt larger than the context as SWY_MODEL_CONTEXT_OVERFLOW', async () => {
    const huge = request({ messages: [{ role: 'user', content: 'x'.repeat(1100) }] });
    expect(await codeOf(llm.chat(huge))).toBe('SWY_MODEL_CONTEXT_OVERFLOW');
  });

  it('retries a failed load on the next call', async () => {
    const later = join(dir, 'later.gguf');
    const p = provider(later);
    try {
      expect(await codeOf(p.chat(request()))).toBe('SWY_MODEL_UNAVAILABLE');
      await writeFile(later, tinyLlamaGguf({ layers: 1 }));
      const res = await p.chat(request({ maxTokens: 3 }));
      expect(res.usage?.completionTokens).toBe(3);
    } finally {
      await p.close();
    }
  });

  it('reports a file that is not a model as SWY_MODEL_UNAVAILABLE', async () => {
    const bad = join(dir, 'bad.gguf');
    await writeFile(bad, 'not a gguf file');
    const p = provider(bad);
    try {
      expect(await codeOf(p.chat(request()))).toBe('SWY_MODEL_UNAVAILABLE');
    } finally {
      await p.close();
    }
  });
});
