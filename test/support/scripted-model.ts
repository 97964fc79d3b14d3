/**
 * A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for testing model providers
 * and agents over real HTTP. Each request takes the next queued reply: streamed text, streamed
 * tool calls, an HTTP error, a malformed chunk, a hang, or a dropped connection. Streams use the
 * real wire format (`chat.completion.chunk`, a usage chunk with empty choices, `data: [DONE]`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ChatCompletionRequest {
  model: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  messages: any[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tools?: any[];
  tool_choice?: unknown;
  stream?: boolean;
  temperature?: number;
  max_tokens?: number;
  [k: string]: unknown;
}

export type ScriptedReply =
  /** A final answer streamed in `chunks` pieces (default 3), `delayMs` between chunks. */
  | { text: string; chunks?: number; delayMs?: number; usage?: { prompt: number; completion: number } }
  /**
   * Tool calls (after `text`, if any). An object `arguments` is JSON-encoded, a string is sent as-is
   * (it may be invalid JSON). Arguments stream in fragments, interleaved across calls by index.
   * Without `id` the server makes one up, as real servers do; `id: ''` sends the call without an id.
   */
  | { toolCalls: { name: string; arguments: unknown; id?: string }[]; text?: string; delayMs?: number }
  /** An HTTP error answer; the default body is OpenAI-style `{error:{message,type,code}}`. */
  | { status: number; body?: unknown; retryAfter?: number }
  /** A 200 SSE stream whose first data line is this raw string (not JSON). */
  | { malformed: string }
  /** 200 and SSE headers, then nothing until the client disconnects. */
  | { hang: true }
  /** The first `hangAfterChunks` pieces of the text, then nothing (for cancelling mid-stream). */
  | { text: string; hangAfterChunks: number }
  /** The socket is destroyed without an answer (a connection error). */
  | { close: true };

type ReplyFn = (req: ChatCompletionRequest, index: number) => ScriptedReply | Promise<ScriptedReply>;
export type Script = ScriptedReply | ReplyFn;

export interface ScriptedModel {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:PORT/v1. */
  readonly url: string;
  /** Every chat request received, parsed, in order. */
  readonly requests: ChatCompletionRequest[];
  /** The headers of those requests. */
  readonly headers: Record<string, string | string[] | undefined>[];
  /** Requests whose client went away before the reply finished. */
  aborted: number;
  /** Queues replies; each request takes the next. An empty queue answers 500 `script exhausted`. */
  script(...replies: Script[]): void;
  /** The reply used when the queue is empty (instead of the 500). */
  onRequest(fn: ReplyFn): void;
  /** Clears the queue, the default, the recorded requests and the counters. */
  reset(): void;
  /** Closes the server, cutting any hanging replies. */
  close(): Promise<void>;
}

export async function startScriptedModel(opts: { model?: string } = {}): Promise<ScriptedModel> {
  const modelId = opts.model ?? 'scripted-model';
  const queue: Script[] = [];
  let fallback: ReplyFn | undefined;
  let closing = false;

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: [{ id: modelId, object: 'model', created: 0, owned_by: 'switchyard-test' }],
      });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions')
      return json(res, 404, errorBody(`no route for ${req.method} ${path}`, 'not_found'));
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      let body: ChatCompletionRequest;
      try {
        body = JSON.parse(raw) as ChatCompletionRequest;
      } catch {
        return json(res, 400, errorBody('request body is not JSON', 'invalid_request_error'));
      }
      const index = model.requests.length;
      model.requests.push(body);
      model.headers.push({ ...req.headers });
      const next = queue.shift() ?? fallback;
      const state = { finished: false };
      res.on('close', () => {
        if (!state.finished && !closing) model.aborted++;
      });
      void (async () => {
        const reply = next
          ? typeof next === 'function'
            ? await next(body, index)
            : next
          : { status: 500, body: errorBody('script exhausted', 'server_error') };
        await answer(req, res, body, reply, modelId, state);
      })().catch((err: unknown) => {
        state.finished = true;
        if (!res.headersSent) json(res, 500, errorBody(`script failed: ${String(err)}`, 'server_error'));
        else res.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  const model: ScriptedModel = {
    url: `http://127.0.0.1:${port}/v1`,
    requests: [],
    headers: [],
    aborted: 0,
    script: (...replies) => void queue.push(...replies),
    onRequest: (fn) => void (fallback = fn),
    reset() {
      queue.length = 0;
      fallback = undefined;
      model.requests.length = 0;
      model.headers.length = 0;
      model.aborted = 0;
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return model;
}

/**
 * Writes one scripted reply. `state.finished` is set just before the reply is complete (or the
 * server drops the socket on purpose), so a 'close' before that means the client went away.
 */
async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  body: ChatCompletionRequest,
  reply: ScriptedReply,
  modelId: string,
  state: { finished: boolean },
): Promise<void> {
  if ('close' in reply) {
    state.finished = true; // the server's doing, not the client going away
    req.socket.destroy();
    return;
  }
  if ('status' in reply) {
    const headers: Record<string, string> = {};
    if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
    const payload = reply.body ?? errorBody(`scripted HTTP ${reply.status}`, errorType(reply.status));
    const plain = typeof payload === 'string';
    res.writeHead(reply.status, { ...headers, 'content-type': plain ? 'text/plain' : 'application/json' });
    state.finished = true;
    res.end(plain ? payload : JSON.stringify(payload));
    return;
  }
  if ('hang' in reply) {
    if (body.stream) res.writeHead(200, SSE_HEADERS).flushHeaders();
    return;
  }
  if ('malformed' in reply) {
    state.finished = true;
    if (!body.stream) res.writeHead(200, { 'content-type': 'application/json' }).end(reply.malformed);
    else res.writeHead(200, SSE_HEADERS).end(`data: ${reply.malformed}\n\ndata: [DONE]\n\n`);
    return;
  }

  const completion = new Completion(modelId);
  if ('hangAfterChunks' in reply) {
    if (!body.stream) return;
    res.writeHead(200, SSE_HEADERS);
    completion.send(res, { role: 'assistant', content: '' });
    for (const piece of split(reply.text, reply.hangAfterChunks + 1).slice(0, reply.hangAfterChunks))
      completion.send(res, { content: piece });
    return;
  }

  const text = 'toolCalls' in reply ? (reply.text ?? '') : reply.text;
  const calls =
    'toolCalls' in reply
      ? reply.toolCalls.map((c) => ({
          id: c.id ?? `call_${randomBytes(6).toString('hex')}`,
          name: c.name,
          arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
        }))
      : [];
  const finishReason = calls.length ? 'tool_calls' : 'stop';
  const usage = ('usage' in reply && reply.usage) || {
    prompt: Math.max(1, Math.ceil(JSON.stringify(body.messages ?? []).length / 4)),
    completion: Math.max(1, Math.ceil((text + calls.map((c) => c.arguments).join('')).length / 4)),
  };
  const wireUsage = {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
  };

  if (!body.stream) {
    const message = {
      role: 'assistant',
      content: text || (calls.length ? null : ''),
      ...(calls.length
        ? {
            tool_calls: calls.map((c) => ({
              ...(c.id ? { id: c.id } : {}),
              type: 'function',
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    };
    state.finished = true;
    json(res, 200, {
      id: completion.id,
      object: 'chat.completion',
      created: completion.created,
      model: modelId,
      choices: [{ index: 0, message, finish_reason: finishReason }],
      usage: wireUsage,
    });
    return;
  }

  // The deltas a real server would send, in order; written with `delayMs` between them.
  const deltas: Record<string, unknown>[] = [];
  const textPieces = text ? split(text, 'chunks' in reply && reply.chunks ? reply.chunks : 3) : [];
  deltas.push({ role: 'assistant', content: '' }, ...textPieces.map((piece) => ({ content: piece })));
  calls.forEach((c, index) =>
    deltas.push({
      tool_calls: [
        {
          index,
          ...(c.id ? { id: c.id } : {}),
          type: 'function',
          function: { name: c.name, arguments: '' },
        },
      ],
    }),
  );
  const fragments = calls.map((c) => split(c.arguments, Math.max(2, Math.min(3, c.arguments.length))));
  for (let f = 0; f < 3; f++)
    fragments.forEach((pieces, index) => {
      if (f < pieces.length) deltas.push({ tool_calls: [{ index, function: { arguments: pieces[f] } }] });
    });

  const delayMs = 'delayMs' in reply ? (reply.delayMs ?? 0) : 0;
  res.writeHead(200, SSE_HEADERS);
  for (const [i, delta] of deltas.entries()) {
    if (i > 0 && delayMs) await sleep(delayMs);
    if (res.destroyed) return;
    completion.send(res, delta);
  }
  completion.send(res, {}, finishReason);
  const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
  if (streamOptions?.include_usage) completion.write(res, { choices: [], usage: wireUsage });
  state.finished = true;
  res.end('data: [DONE]\n\n');
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** The envelope every chunk of one streamed completion shares. */
class Completion {
  readonly id = `chatcmpl-${randomBytes(6).toString('hex')}`;
  readonly created = Math.floor(Date.now() / 1000);
  constructor(private readonly modelId: string) {}

  send(res: ServerResponse, delta: Record<string, unknown>, finishReason: string | null = null): void {
    this.write(res, { choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  }

  write(res: ServerResponse, fields: Record<string, unknown>): void {
    const chunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.modelId,
    };
    res.write(`data: ${JSON.stringify({ ...chunk, ...fields })}\n\n`);
  }
}

/** `s` cut into `n` pieces of near-equal length (fewer when `s` is shorter than `n`, at least one). */
function split(s: string, n: number): string[] {
  const count = Math.max(1, Math.min(n, s.length));
  const size = Math.ceil(s.length / count);
  return Array.from({ length: count }, (_, i) => s.slice(i * size, (i + 1) * size)).filter(
    (piece, i) => piece !== '' || i === 0,
  );
}

function errorBody(message: string, type: string): unknown {
  return { error: { message, type, code: null } };
}

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

function json(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}
