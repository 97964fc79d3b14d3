import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startScriptedModel, type ScriptedModel } from '../../../test/support/scripted-model.js';
import { OpenAiModelSchema } from '../../config/schema.js';
import { GatewayError } from '../../errors/index.js';
import type { ChatRequest } from '../provider.js';
import { OpenAiProvider } from './openai.js';

const SECRET = 'sk-test-7f3a9c1e5b2d-do-not-leak';
const HEADER_SECRET = 'tenant-secret-42af19';

let model: ScriptedModel;
beforeAll(async () => {
  model = await startScriptedModel({ model: 'qwen2.5-7b' });
});
beforeEach(() => model.reset());
afterAll(() => model.close());

function provider(openai: Record<string, unknown> = {}): OpenAiProvider {
  return new OpenAiProvider(
    OpenAiModelSchema.parse({
      name: 'local-qwen',
      openai: { baseUrl: model.url, model: 'qwen2.5-7b', timeoutMs: 5000, retryDelayMs: 5, ...openai },
    }),
  );
}

function request(extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    tools: [],
    signal: new AbortController().signal,
    ...extra,
  };
}

/** The rejection of `p`, which must reject. */
async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

/** A hand-written SSE body, for wire details the scripted replies do not produce. */
function sse(...chunks: unknown[]): { status: number; body: string } {
  return {
    status: 200,
    body: chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n',
  };
}

describe('OpenAiProvider: answers', () => {
  it('streams text to onText piece by piece and reports usage', async () => {
    model.script({ text: 'It is sunny in Paris.', chunks: 3, usage: { prompt: 12, completion: 6 } });
    const deltas: string[] = [];
    const result = await provider().chat(request({ onText: (d) => deltas.push(d) }));
    expect(result).toEqual({
      text: 'It is sunny in Paris.',
      toolCalls: [],
      usage: { promptTokens: 12, completionTokens: 6 },
      finishReason: 'stop',
    });
    expect(deltas).toHaveLength(3);
    expect(deltas.join('')).toBe('It is sunny in Paris.');
  });

  it('reassembles two parallel tool calls from interleaved argument fragments', async () => {
    model.script({
      text: 'Let me check.',
      toolCalls: [
        { id: 'call_w', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
        { id: 'call_t', name: 'get_time', arguments: { tz: 'Europe/Paris' } },
      ],
    });
    const deltas: string[] = [];
    const result = await provider().chat(request({ onText: (d) => deltas.push(d) }));
    expect(result.toolCalls).toEqual([
      { id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      { id: 'call_t', name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
    ]);
    expect(result.finishReason).toBe('tool_calls');
    expect(result.text).toBe('Let me check.');
    expect(deltas.join('')).toBe('Let me check.'); // arguments are not answer text
  });

  it('makes up ids for tool calls that have none and keeps invalid argument text as written', async () => {
    model.script({
      toolCalls: [
        { id: '', name: 'get_weather', arguments: '{"city": "Par' },
        { id: '', name: 'get_time', arguments: {} },
      ],
    });
    const result = await provider().chat(request());
    expect(result.toolCalls).toEqual([
      { id: 'call_0', name: 'get_weather', arguments: '{"city": "Par' },
      { id: 'call_1', name: 'get_time', arguments: '{}' },
    ]);
  });

  it('accepts a server that ignores `stream` and answers one chat.completion JSON', async () => {
    model.script({
      status: 200,
      body: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 },
      },
    });
    const result = await provider().chat(request());
    expect(result).toEqual({
      text: '',
      toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":1}' }],
      usage: { promptTokens: 30, completionTokens: 9 },
      finishReason: 'tool_calls',
    });
  });

  it('tells calls apart by id when the server sends no index (each call whole, one per chunk)', async () => {
    const call = (id: string, name: string, args: string) => ({
      choices: [{ delta: { tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] } }],
    });
    model.script(
      sse(call('a', 'weather', '{"city":"Paris"}'), call('b', 'weather', '{"city":"Oslo"}'), {
        choices: [{ delta: {}, finish_reason: 'tool_calls' }],
      }),
    );
    const result = await provider().chat(request());
    expect(result.toolCalls).toEqual([
      { id: 'a', name: 'weather', arguments: '{"city":"Paris"}' },
      { id: 'b', name: 'weather', arguments: '{"city":"Oslo"}' },
    ]);
  });

  it('leaves reasoning_content out of the answer text', async () => {
    model.script(
      sse(
        { choices: [{ index: 0, delta: { role: 'assistant', reasoning_content: 'The user wants…' } }] },
        { choices: [{ index: 0, delta: { reasoning_content: ' so I answer.' } }] },
        { choices: [{ index: 0, delta: { content: 'Sunny.' } }] },
        { choices: [{ index: 0, delta: {}, finish_reason: 'length' }] },
      ),
    );
    const deltas: string[] = [];
    const result = await provider().chat(request({ onText: (d) => deltas.push(d) }));
    expect(result.text).toBe('Sunny.');
    expect(deltas).toEqual(['Sunny.']);
    expect(result.finishReason).toBe('length');
    expect(result.usage).toBeUndefined();
  });

  it('sends the request in the OpenAI shape, with the bearer key and configured headers', async () => {
    model.script({ text: 'ok' });
    // A trailing slash on the base URL must not produce `//chat/completions` (that would 404 here).
    const p = provider({ baseUrl: `${model.url}/`, apiKey: SECRET, headers: { 'x-tenant': 'blue' } });
    await p.chat(
      request({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"c":"P"}' }],
          },
          { role: 'tool', toolCallId: 'c1', name: 'weather', content: 'sunny' },
          { role: 'assistant', content: 'Sunny.' },
        ],
        tools: [{ name: 'weather', description: 'Weather by city', parameters: { type: 'object' } }],
        toolChoice: 'required',
        temperature: 0.2,
        maxTokens: 256,
      }),
    );
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]).toEqual({
      model: 'qwen2.5-7b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"c":"P"}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        { role: 'assistant', content: 'Sunny.' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'weather', description: 'Weather by city', parameters: { type: 'object' } },
        },
      ],
      tool_choice: 'required',
      temperature: 0.2,
      max_tokens: 256,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(model.headers[0]).toMatchObject({ authorization: `Bearer ${SECRET}`, 'x-tenant': 'blue' });
  });

  it('leaves out tools, tool_choice, temperature and max_tokens when there are none', async () => {
    model.script({ text: 'ok' });
    await provider().chat(request({ toolChoice: 'auto' }));
    const sent = model.requests[0]!;
    expect(Object.keys(sent).sort()).toEqual(['messages', 'model', 'stream', 'stream_options']);
    expect(model.headers[0]!.authorization).toBeUndefined();
  });
});

describe('OpenAiProvider: retries', () => {
  it('retries a 503 and then succeeds', async () => {
    model.script({ status: 503 }, { text: 'back again' });
    const result = await provider().chat(request());
    expect(result.text).toBe('back again');
    expect(model.requests).toHaveLength(2);
  });

  it('waits as long as Retry-After says after a 429', async () => {
    model.script({ status: 429, retryAfter: 1 }, { text: 'ok' });
    const started = Date.now();
    const result = await provider({ retryDelayMs: 1 }).chat(request());
    expect(result.text).toBe('ok');
    expect(model.requests).toHaveLength(2);
    // The backoff alone would be 1 ms; Retry-After asks for a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('gives up with SWY_MODEL_UNAVAILABLE when the retries are used up', async () => {
    model.script({ status: 503 }, { status: 502 }, { status: 500 }, { text: 'too late' });
    const err = await failure(provider({ retries: 2 }).chat(request()));
    expect(err.code).toBe('SWY_MODEL_UNAVAILABLE');
    expect(err.params).toMatchObject({ model: 'local-qwen', retries: 2 });
    expect(err.message).toMatch(/HTTP 500/);
    expect(model.requests).toHaveLength(3);
  });

  it('retries a dropped connection', async () => {
    model.script({ close: true }, { text: 'reconnected' });
    const result = await provider().chat(request());
    expect(result.text).toBe('reconnected');
    expect(model.requests).toHaveLength(2);
  });

  it('reports SWY_MODEL_UNAVAILABLE when nothing listens', async () => {
    const port = await freePort();
    const err = await failure(
      provider({ baseUrl: `http://127.0.0.1:${port}/v1`, retries: 1, apiKey: SECRET }).chat(request()),
    );
    expect(err.code).toBe('SWY_MODEL_UNAVAILABLE');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain(SECRET);
  });

  it('retries a malformed chunk, then reports SWY_MODEL_BAD_RESPONSE', async () => {
    model.script({ malformed: '{"choices": [' }, { malformed: '<html>oops</html>' });
    const err = await failure(provider({ retries: 1 }).chat(request()));
    expect(err.code).toBe('SWY_MODEL_BAD_RESPONSE');
    expect(err.message).toMatch(/not JSON/);
    expect(model.requests).toHaveLength(2);
  });

  it('does not retry a broken stream once text was delivered', async () => {
    model.script({
      status: 200,
      body: `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Half an ans' } }] })}\n\ndata: {oops\n\n`,
    });
    const deltas: string[] = [];
    const err = await failure(provider().chat(request({ onText: (d) => deltas.push(d) })));
    expect(err.code).toBe('SWY_MODEL_BAD_RESPONSE');
    expect(deltas).toEqual(['Half an ans']);
    expect(model.requests).toHaveLength(1);
  });

  it('rejects an answer with neither text, tool calls nor finish reason, and a nameless tool call', async () => {
    model.script(
      sse({ choices: [{ index: 0, delta: { role: 'assistant' } }] }),
      sse(
        {
          choices: [
            { index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: { arguments: '{}' } }] } },
          ],
        },
        { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
      ),
    );
    const empty = await failure(provider({ retries: 0 }).chat(request()));
    expect(empty.code).toBe('SWY_MODEL_BAD_RESPONSE');
    expect(empty.message).toMatch(/no text/);
    const nameless = await failure(provider({ retries: 0 }).chat(request()));
    expect(nameless.code).toBe('SWY_MODEL_BAD_RESPONSE');
    expect(nameless.message).toMatch(/no function name/);
  });
});

describe('OpenAiProvider: refusals', () => {
  it.each([
    [
      'OpenAI',
      {
        error: {
          message: "This model's maximum context length is 8192 tokens.",
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
        },
      },
    ],
    [
      'vLLM',
      {
        object: 'error',
        message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
        type: 'BadRequestError',
        code: 400,
      },
    ],
    [
      'llama.cpp server',
      {
        error: {
          code: 400,
          message: 'the request exceeds the available context size, try increasing it',
          type: 'exceed_context_size_error',
        },
      },
    ],
    ['Ollama', { error: 'prompt too long; exceeded max context length by 12 tokens' }],
  ])('maps a %s context-length 400 to SWY_MODEL_CONTEXT_OVERFLOW without retrying', async (_, body) => {
    model.script({ status: 400, body }, { text: 'should not be asked' });
    const err = await failure(provider().chat(request()));
    expect(err.code).toBe('SWY_MODEL_CONTEXT_OVERFLOW');
    expect(model.requests).toHaveLength(1);
  });

  it('maps a 401 to SWY_MODEL_REJECTED without retrying, and never shows the key or header values', async () => {
    model.script({
      status: 401,
      body: {
        error: { message: `Incorrect API key provided: ${SECRET} (tenant ${HEADER_SECRET})`, code: null },
      },
    });
    const p = provider({ apiKey: SECRET, headers: { 'x-tenant': HEADER_SECRET } });
    const err = await failure(p.chat(request()));
    expect(err.code).toBe('SWY_MODEL_REJECTED');
    expect(err.params.status).toBe(401);
    expect(err.message).toMatch(/Incorrect API key provided/);
    for (const text of [err.message, err.fix, JSON.stringify(err.params), String(err.stack)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(HEADER_SECRET);
    }
    expect(model.requests).toHaveLength(1);
  });

  it('shortens a long error message', async () => {
    model.script({ status: 422, body: { error: { message: 'x'.repeat(5000) } } });
    const err = await failure(provider().chat(request()));
    expect(err.code).toBe('SWY_MODEL_REJECTED');
    expect(String(err.params.detail).length).toBeLessThan(400);
  });
});

describe('OpenAiProvider: timeouts and cancellation', () => {
  it('times out a server that never starts answering, after retrying it', async () => {
    model.script({ hang: true }, { hang: true });
    const err = await failure(provider({ timeoutMs: 200, retries: 1 }).chat(request()));
    expect(err.code).toBe('SWY_MODEL_TIMEOUT');
    expect(err.params.timeoutMs).toBe(200);
    expect(model.requests).toHaveLength(2);
  });

  it('times out a stream that stalls after some text, without retrying (the text was delivered)', async () => {
    model.script({ text: 'The answer is forty-two', hangAfterChunks: 2 }, { text: 'again' });
    const deltas: string[] = [];
    const err = await failure(
      provider({ timeoutMs: 200, retries: 2 }).chat(request({ onText: (d) => deltas.push(d) })),
    );
    expect(err.code).toBe('SWY_MODEL_TIMEOUT');
    expect(deltas).toHaveLength(2);
    expect(model.requests).toHaveLength(1);
  });

  it('the timeout is per gap between chunks, not for the whole answer', async () => {
    // Six gaps of 150 ms: each well inside the timeout, together well beyond it.
    model.script({ text: 'slow but steady', chunks: 6, delayMs: 150 });
    const result = await provider({ timeoutMs: 600, retries: 0 }).chat(request());
    expect(result.text).toBe('slow but steady');
  });

  it('stops at once when the caller aborts mid-stream, and the server sees the disconnect', async () => {
    model.script({ text: 'This will never finish', hangAfterChunks: 1 });
    const controller = new AbortController();
    const reason = new DOMException('the user went away', 'AbortError');
    const deltas: string[] = [];
    const p = provider({ timeoutMs: 20_000 }).chat(
      request({ signal: controller.signal, onText: (d) => deltas.push(d) }),
    );
    const outcome = p.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    // Abort while the provider waits for the next chunk, not from inside onText.
    await vi.waitFor(() => expect(deltas).toHaveLength(1), { timeout: 5000 });
    controller.abort(reason);
    // Ended by the abort itself (its reason), not by the 20 s idle timeout.
    expect(await outcome).toBe(reason);
    await vi.waitFor(() => expect(model.aborted).toBe(1), { timeout: 5000 });
    expect(model.requests).toHaveLength(1);
  });

  it('stops at once when the caller aborts before the answer starts', async () => {
    model.script({ hang: true }, { text: 'not asked' });
    const controller = new AbortController();
    const p = provider({ timeoutMs: 20_000 }).chat(request({ signal: controller.signal }));
    await vi.waitFor(() => expect(model.requests).toHaveLength(1), { timeout: 5000 });
    controller.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled'); // the abort's error, not the idle timeout's
    await vi.waitFor(() => expect(model.aborted).toBe(1), { timeout: 5000 });
    expect(model.requests).toHaveLength(1);
  });

  it('stops when onText aborts the turn, even though the stream goes on', async () => {
    model.script({ text: 'one two three four', chunks: 4 });
    const controller = new AbortController();
    const deltas: string[] = [];
    const p = provider().chat(
      request({
        signal: controller.signal,
        onText: (d) => {
          deltas.push(d);
          controller.abort(new Error('enough'));
        },
      }),
    );
    await expect(p).rejects.toThrow('enough');
    expect(model.requests).toHaveLength(1);
  });

  it('stops waiting for a retry when the caller aborts', async () => {
    model.script({ status: 503 }, { text: 'too late' });
    const controller = new AbortController();
    const p = provider({ retryDelayMs: 20_000 }).chat(request({ signal: controller.signal }));
    await vi.waitFor(() => expect(model.requests).toHaveLength(1), { timeout: 5000 });
    controller.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
    expect(model.requests).toHaveLength(1);
  });

  it('rejects at once with a signal that is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('before it began'));
    await expect(provider().chat(request({ signal: controller.signal }))).rejects.toThrow('before it began');
    expect(model.requests).toHaveLength(0);
  });
});

/** A loopback port with nothing listening on it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
