/**
 * A ModelProvider for any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp
 * server, SGLang, DeepSeek…). One chat turn is one streamed `POST {baseUrl}/chat/completions`; the
 * SSE chunks are folded into text, tool calls, a finish reason and usage. A server that ignores
 * `stream` and answers one JSON `chat.completion` is accepted too.
 *
 * Failures are retried with backoff only while no answer text has reached `onText`: after that a
 * retry would stream the text a second time. The API key and header values never appear in an
 * error: every detail taken from the server or the network is redacted first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import type { OpenAiModelConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors/index.js';
import type { ChatRequest, ChatResult, ChatMessage, ModelProvider, ToolCall, ToolSpec } from '../provider.js';

const MAX_RETRY_DELAY_MS = 30_000;
/** A model answer is text and tool arguments; anything larger is a broken or hostile server. */
const MAX_RESPONSE_CHARS = 32 * 1024 * 1024;
/** Codes worth another attempt: the server or the network may do better next time. */
const RETRYABLE = new Set(['SWY_MODEL_UNAVAILABLE', 'SWY_MODEL_TIMEOUT', 'SWY_MODEL_BAD_RESPONSE']);
// OpenAI says `code: context_length_exceeded`; vLLM, llama.cpp server and Ollama only say it in words
// ("maximum context length is…", "exceeds the available context size", "exceeded max context length").
const CONTEXT_OVERFLOW =
  /context length|maximum context|too many tokens|context window|context size|exceeds the context/i;

/** What one chat call has done so far, across its attempts. */
interface Progress {
  /** Some answer text went to `onText`: retrying would repeat it. */
  delivered: boolean;
  /** The server's Retry-After on the last failed attempt. */
  retryAfterMs?: number;
}

export class OpenAiProvider implements ModelProvider {
  readonly kind = 'openai';
  readonly name: string;
  private readonly url: string;
  private readonly secrets: string[];

  constructor(private readonly config: OpenAiModelConfig) {
    this.name = config.name;
    this.url = `${config.openai.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    // Values shorter than 4 characters are not secrets, and redacting them would garble messages.
    this.secrets = [config.openai.apiKey ?? '', ...Object.values(config.openai.headers ?? {})].filter(
      (s) => s.length >= 4,
    );
  }

  async chat(req: ChatRequest): Promise<ChatResult> {
    req.signal.throwIfAborted();
    const { retries, retryDelayMs } = this.config.openai;
    const body = JSON.stringify(toWireRequest(this.config.openai.model, req));
    const progress: Progress = { delivered: false };
    let failure: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const backoff = progress.retryAfterMs ?? retryDelayMs * 2 ** (attempt - 1);
        await sleep(Math.min(backoff, MAX_RETRY_DELAY_MS), undefined, { signal: req.signal }).catch(() => {
          throw req.signal.reason;
        });
      }
      progress.retryAfterMs = undefined;
      try {
        return await this.attempt(req, body, progress, attempt);
      } catch (err) {
        if (req.signal.aborted) throw req.signal.reason;
        const retryable = err instanceof GatewayError && RETRYABLE.has(err.code);
        if (!retryable || progress.delivered) throw err;
        failure = err;
      }
    }
    throw failure;
  }

  async close(): Promise<void> {}

  /** One HTTP exchange. Timeouts cover the wait for headers and each gap between chunks. */
  private async attempt(
    req: ChatRequest,
    body: string,
    progress: Progress,
    attempt: number,
  ): Promise<ChatResult> {
    const { timeoutMs } = this.config.openai;
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new Error('timeout'));
      }, timeoutMs);
    };
    const onAbort = () => controller.abort(req.signal.reason);
    req.signal.addEventListener('abort', onAbort, { once: true });
    // Network failures surface as rejections of fetch or of a body read; name them once.
    const net = async <T>(p: Promise<T>): Promise<T> => {
      try {
        return await p;
      } catch (err) {
        if (req.signal.aborted) throw req.signal.reason;
        if (timedOut) throw new GatewayError('SWY_MODEL_TIMEOUT', { model: this.name, timeoutMs });
        throw this.unavailable(networkDetail(err), attempt);
      }
    };

    try {
      arm();
      // undici's request, not fetch: the same connection pool without WHATWG streams, which
      // matters when a model answers in a millisecond (see the agent bench).
      const res = await net(
        request(this.url, { method: 'POST', headers: this.headers(), body, signal: controller.signal }),
      );
      arm(); // the body has its own timeout, whatever it is
      const header = (name: string) => {
        const v = res.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      if (res.statusCode < 200 || res.statusCode > 299) {
        const text = await net(res.body.text());
        throw this.statusError(res.statusCode, header('retry-after'), text, progress, attempt);
      }
      const answer = new Answer(
        (delta) => {
          progress.delivered = true;
          req.onText?.(delta);
          req.signal.throwIfAborted(); // onText may have cancelled the turn
        },
        (detail) => this.bad(detail),
      );
      if (header('content-type')?.includes('application/json')) {
        const text = await net(res.body.text());
        answer.addCompletion(this.parseJson(text));
        return answer.result();
      }

      const events: string[] = [];
      const parser = createParser({ onEvent: (e) => events.push(e.data) });
      const decoder = new TextDecoder();
      const reader = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      // Ends at the end of the stream, at [DONE], at the size cap, or when the idle timer aborts the read.
      for (let received = 0; received <= MAX_RESPONSE_CHARS;) {
        arm();
        const { done, value } = await net(reader.next());
        if (done) return answer.result();
        const text = decoder.decode(value, { stream: true });
        received += text.length;
        parser.feed(text);
        for (const data of events.splice(0)) {
          if (data.trim() === '[DONE]') return answer.result();
          answer.addChunk(this.parseJson(data));
        }
      }
      throw this.bad(`the response is larger than ${MAX_RESPONSE_CHARS} characters`);
    } finally {
      clearTimeout(timer);
      req.signal.removeEventListener('abort', onAbort);
      // Releases the connection if the body was not read to its end (no-op otherwise).
      controller.abort();
    }
  }

  private headers(): Record<string, string> {
    const { apiKey, headers } = this.config.openai;
    return {
      'content-type': 'application/json',
      accept: 'text/event-stream, application/json',
      ...headers,
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    };
  }

  /** An HTTP error status: 429 and 5xx are worth retrying, other 4xx are the request's fault. */
  private statusError(
    status: number,
    retryAfter: string | undefined,
    text: string,
    progress: Progress,
    attempt: number,
  ): GatewayError {
    const { message, code } = errorMessage(text);
    if (status === 429 || status >= 500) {
      progress.retryAfterMs = retryAfterMs(retryAfter ?? null);
      return this.unavailable(`HTTP ${status}${message ? `: ${message}` : ''}`, attempt);
    }
    const detail = this.clean(message || `HTTP ${status}`);
    if (code === 'context_length_exceeded' || CONTEXT_OVERFLOW.test(message))
      return new GatewayError('SWY_MODEL_CONTEXT_OVERFLOW', { model: this.name, detail });
    return new GatewayError('SWY_MODEL_REJECTED', { model: this.name, status, detail });
  }

  private parseJson(data: string): unknown {
    try {
      return JSON.parse(data);
    } catch {
      throw this.bad(`not JSON: ${data}`);
    }
  }

  private unavailable(detail: string, retries: number): GatewayError {
    return new GatewayError('SWY_MODEL_UNAVAILABLE', {
      model: this.name,
      detail: this.clean(detail),
      retries,
    });
  }

  private bad(detail: string): GatewayError {
    return new GatewayError('SWY_MODEL_BAD_RESPONSE', { model: this.name, detail: this.clean(detail) });
  }

  /** Shortens a detail and blanks out the API key and header values, wherever they came from. */
  private clean(detail: string): string {
    const redacted = this.secrets.reduce((s, secret) => s.split(secret).join('***'), detail);
    return redacted.length > 300 ? `${redacted.slice(0, 300)}…` : redacted;
  }
}

/** Folds streamed deltas (or one whole message) into a ChatResult. */
class Answer {
  private text = '';
  private readonly calls = new Map<number, { id?: string; name?: string; arguments: string }>();
  private finish?: string;
  private usage?: ChatResult['usage'];

  constructor(
    private readonly onText: (delta: string) => void,
    private readonly bad: (detail: string) => GatewayError,
  ) {}

  addChunk(chunk: unknown): void {
    if (!isObject(chunk)) throw this.bad('a chunk is not an object');
    if (chunk.error !== undefined) throw this.bad(`the server reported an error: ${errorText(chunk.error)}`);
    this.addUsage(chunk.usage);
    const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!isObject(choice)) return; // the usage chunk has no choices
    if (isObject(choice.delta)) this.addDelta(choice.delta);
    if (typeof choice.finish_reason === 'string') this.finish = choice.finish_reason;
  }

  /** A non-streamed `chat.completion`: its message is one big delta. */
  addCompletion(completion: unknown): void {
    if (!isObject(completion)) throw this.bad('the completion is not an object');
    const choice: unknown = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
    if (!isObject(choice) || !isObject(choice.message)) throw this.bad('the completion has no message');
    this.addChunk({ usage: completion.usage, choices: [{ ...choice, delta: choice.message }] });
  }

  result(): ChatResult {
    const toolCalls: ToolCall[] = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c], n) => {
        if (!c.name) throw this.bad('a tool call has no function name');
        return { id: c.id || `call_${n}`, name: c.name, arguments: c.arguments };
      });
    if (!this.text && !toolCalls.length && !this.finish)
      throw this.bad('no text, no tool calls and no finish reason');
    return { text: this.text, toolCalls, usage: this.usage, finishReason: this.finishReason(toolCalls) };
  }

  private addDelta(delta: Record<string, unknown>): void {
    // `reasoning_content` (DeepSeek and others) is the model thinking aloud, not the answer: skipped.
    if (typeof delta.content === 'string' && delta.content) {
      this.text += delta.content;
      this.onText(delta.content);
    }
    if (!Array.isArray(delta.tool_calls)) return;
    delta.tool_calls.forEach((tc: unknown, position) => {
      if (!isObject(tc)) return;
      let index = typeof tc.index === 'number' ? tc.index : position;
      // Without an index (some Ollama versions send each call whole, one per chunk), a new id at
      // a position already taken is a new call.
      const taken = this.calls.get(index);
      if (typeof tc.index !== 'number' && typeof tc.id === 'string' && taken?.id && taken.id !== tc.id)
        index = Math.max(...this.calls.keys()) + 1;
      const call = this.calls.get(index) ?? { arguments: '' };
      this.calls.set(index, call);
      if (typeof tc.id === 'string' && tc.id) call.id = tc.id;
      const fn = isObject(tc.function) ? tc.function : {};
      // The name arrives whole in the call's first delta; the arguments come in fragments.
      if (typeof fn.name === 'string' && fn.name) call.name = fn.name;
      if (typeof fn.arguments === 'string') call.arguments += fn.arguments;
      else if (isObject(fn.arguments)) call.arguments += JSON.stringify(fn.arguments);
    });
  }

  private addUsage(usage: unknown): void {
    if (!isObject(usage)) return;
    const { prompt_tokens: prompt, completion_tokens: completion } = usage;
    if (typeof prompt === 'number' && typeof completion === 'number')
      this.usage = { promptTokens: prompt, completionTokens: completion };
  }

  private finishReason(toolCalls: ToolCall[]): ChatResult['finishReason'] {
    if (this.finish === 'length') return 'length';
    // Some servers (older Ollama) say `stop` after tool calls; the calls are what the loop must act on.
    if (toolCalls.length) return 'tool_calls';
    if (this.finish === 'stop') return 'stop';
    return this.finish === 'tool_calls' || this.finish === 'function_call' ? 'tool_calls' : 'other';
  }
}

function toWireRequest(model: string, req: ChatRequest): Record<string, unknown> {
  return {
    model,
    messages: req.messages.map(toWireMessage),
    ...(req.tools.length ? { tools: req.tools.map(toWireTool) } : {}),
    ...(req.tools.length && req.toolChoice ? { tool_choice: req.toolChoice } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
    stream: true,
    stream_options: { include_usage: true },
  };
}

function toWireMessage(m: ChatMessage): Record<string, unknown> {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  if (m.role === 'assistant' && m.toolCalls?.length)
    return {
      role: 'assistant',
      content: m.content || null,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
    };
  return { role: m.role, content: m.content };
}

function toWireTool(t: ToolSpec): Record<string, unknown> {
  return {
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.parameters },
  };
}

/** The message and code of an error body: OpenAI `{error:{message,code}}`, or `{error:"…"}`, or plain text. */
function errorMessage(text: string): { message: string; code?: unknown } {
  try {
    const body: unknown = JSON.parse(text);
    if (isObject(body)) {
      const code = isObject(body.error) ? body.error.code : body.code;
      return { message: errorText(body.error ?? body.message ?? body.detail ?? text), code };
    }
  } catch {
    // not JSON: the text itself is the message
  }
  return { message: text.trim() };
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (isObject(error) && typeof error.message === 'string') return error.message;
  return JSON.stringify(error) ?? '';
}

/** Retry-After in seconds (or an HTTP date), as milliseconds. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** fetch says "fetch failed"; the cause says what happened (ECONNREFUSED, other side closed…). */
function networkDetail(err: unknown): string {
  const cause: unknown = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) return cause.message || String((cause as { code?: unknown }).code);
  return err instanceof Error ? err.message : String(err);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
