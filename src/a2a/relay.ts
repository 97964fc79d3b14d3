/**
 * The A2A relay: a message for a proxied agent, sent on as the bytes that came.
 *
 * On the SDK's path (proxy.ts) a request is decoded into the SDK's model and encoded again for the
 * agent, and the answer both ways back: most of what a proxied call costs. When the client speaks
 * a binding and version the agent offers too (A2A 1.0, JSON-RPC or HTTP+JSON), there is nothing to
 * translate. The front has already done the checks that need the message (authentication, policy,
 * rate limits, skills, body size and depth); this module does the rest (part limits, the task's
 * owner), then sends the body as it came with the agent's configured headers. The answer is read
 * only for the task it names, which is recorded as the caller's before the caller sees it
 * (ownership.ts), and passed on as the agent sent it. A stream is read event by event until an
 * event names its task, then passed on as it arrives.
 *
 * It relays SendMessage and SendStreamingMessage. Every other operation, and every request in
 * another version or binding, takes the SDK's path. `a2a.relay: false` turns it off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import {
  TaskNotFoundError,
  restStatusFor,
  toJsonRpcError,
  toRestErrorBody,
  type InvalidAgentResponseError,
} from '@a2a-js/sdk/errors';
import { createParser } from 'eventsource-parser';
import { GatewayError } from '../errors/index.js';
import type { RequestBody } from '../http/body.js';
import { sendJson } from '../http/respond.js';
import { eventEnds, ResponseMeter } from '../mcp/upstream/response-limit.js';
import type { Principal } from '../policy/principal.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { agentFailure, HttpStatus } from './agent-failure.js';
import { checkParts, jsonPartSize, type PartLimits } from './front-part-limits.js';
import type { TaskOwnership } from './ownership.js';
import type { A2aUpstream, RelayTarget } from './upstream.js';

export type RelayOperation = 'SendMessage' | 'SendStreamingMessage';

/** What the relay needs of the gateway. */
export interface RelayDeps {
  readonly taskOwners: TaskOwnership;
  readonly log: Logger;
  readonly metrics: Pick<Metrics, 'a2aRelayed'>;
}

/** One request the front has checked and read. */
export interface RelayRequest {
  upstream: A2aUpstream;
  req: IncomingMessage;
  res: ServerResponse;
  body: RequestBody;
  parsed: unknown;
  jsonRpc: boolean;
  /** The operation the front named (its metric label). */
  operation: string;
  /** The path inside the agent (`/rest/message:send` …). */
  sub: string;
  principal: Principal;
  limits: PartLimits;
}

/** A message as A2A 1.0 sends it in JSON: what the relay reads of it. */
interface WireMessage {
  taskId?: unknown;
  task_id?: unknown;
  contextId?: unknown;
  context_id?: unknown;
  parts?: unknown;
}

/** Which operation a request is, when the relay can take it (undefined: the SDK's path). */
export function relayable(
  req: IncomingMessage,
  jsonRpc: boolean,
  operation: string,
  sub: string,
): RelayOperation | undefined {
  if (req.method !== 'POST' || req.headers['a2a-version'] !== '1.0') return undefined;
  if (jsonRpc)
    return operation === 'SendMessage' || operation === 'SendStreamingMessage' ? operation : undefined;
  if (sub === '/rest/message:send') return 'SendMessage';
  if (sub === '/rest/message:stream') return 'SendStreamingMessage';
  return undefined;
}

export class A2aRelay {
  constructor(private readonly deps: RelayDeps) {}

  /** Relay the request and answer it; false (nothing sent, nothing answered) when it cannot be. */
  async relay(r: RelayRequest): Promise<boolean> {
    const op = relayable(r.req, r.jsonRpc, r.operation, r.sub);
    const target = op && r.upstream.relayTarget(r.jsonRpc ? 'JSONRPC' : 'HTTP+JSON');
    if (!op || !target) return false;
    const rpc = r.jsonRpc ? (r.parsed as { id?: unknown; params?: unknown }) : undefined;
    const id = typeof rpc?.id === 'string' || typeof rpc?.id === 'number' ? rpc.id : null;
    const params = (r.jsonRpc ? rpc?.params : r.parsed) as { message?: WireMessage } | undefined;
    const message = params?.message;
    const answer = new Answer(r.res, r.jsonRpc, id);
    const ids = messageIds(message);
    try {
      checkParts(Array.isArray(message?.parts) ? message.parts : [], jsonPartSize, r.limits);
      for (const taskId of ids.taskIds.length ? ids.taskIds : [undefined])
        for (const contextId of ids.contextIds.length ? ids.contextIds : [undefined])
          if (!(await this.deps.taskOwners.mayContinue(r.upstream.name, { taskId, contextId }, r.principal)))
            throw new TaskNotFoundError(`Task not found: ${taskId || contextId}`);
    } catch (err) {
      answer.error(err);
      return true;
    }
    this.deps.metrics.a2aRelayed.labels(r.upstream.name, op).inc();
    const continuing = { taskId: ids.taskIds[0] };
    await new RelayedCall(this.deps, r, op, target, continuing, answer).run();
    return true;
  }
}

/** One relayed request: sent, its answer read for its task, passed on. */
class RelayedCall {
  private readonly agent: string;

  constructor(
    private readonly deps: RelayDeps,
    private readonly r: RelayRequest,
    private readonly op: RelayOperation,
    private readonly target: RelayTarget,
    /** The task the message continues, if it names one. */
    private readonly message: { taskId?: string },
    private readonly answer: Answer,
  ) {
    this.agent = r.upstream.name;
  }

  async run(): Promise<void> {
    const { res } = this.r;
    // A client that leaves does not stop the agent (A2A tasks outlive their streams): the answer
    // is still read to its end and its task recorded, as on the SDK's path. A message must be
    // answered within timeoutMs (also between the chunks of its answer); a stream may run and
    // pause as long as the agent works.
    const streaming = this.op === 'SendStreamingMessage';
    try {
      const up = await request(this.url(), {
        method: 'POST',
        headers: this.headers(),
        body: this.r.body.raw,
        headersTimeout: streaming ? undefined : this.target.timeoutMs,
        bodyTimeout: streaming ? 0 : this.target.timeoutMs,
      });
      const type = String(up.headers['content-type'] ?? '');
      const ext = up.headers['a2a-extensions'];
      const headers: Record<string, string | string[]> = ext ? { 'a2a-extensions': ext } : {};
      if (up.statusCode < 300 && type.toLowerCase().includes('text/event-stream'))
        return await this.stream(up.body, up.statusCode, headers);
      const bytes = await readLimited(up.body, this.target.maxResponseBytes, this.tooLarge);
      await this.whole(up.statusCode, type, bytes, headers);
    } catch (err) {
      if (!res.headersSent && !res.destroyed) this.answer.error(this.failure(err));
    }
  }

  /** A whole answer: the task it names is the caller's, then the bytes go to the client. */
  private async whole(
    status: number,
    type: string,
    bytes: Buffer,
    headers: Record<string, string | string[]>,
  ): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw status < 300 ? new NotA2a() : new HttpStatus(status);
    }
    const body = json as { jsonrpc?: unknown; result?: unknown; error?: unknown };
    if (status >= 300) {
      // The agent's own error in the binding's shape passes on as it came; anything else is its failure.
      if (!body || typeof body.error !== 'object' || body.error === null) throw new HttpStatus(status);
    } else if (this.r.jsonRpc) {
      if (body?.jsonrpc !== '2.0' || !('result' in body || 'error' in body)) throw new NotA2a();
      if (body.result !== undefined) await this.own(idsOf(body.result));
    } else {
      await this.own(idsOf(body));
    }
    // It parsed as JSON, so it goes out as JSON, whatever type the agent named.
    const mediaType = type.toLowerCase().includes('application/a2a+json')
      ? 'application/a2a+json'
      : 'application/json';
    const out = { 'content-type': mediaType, 'content-length': String(bytes.length) };
    this.r.res.writeHead(status, { ...headers, ...out }).end(bytes);
  }

  /**
   * A stream, passed on event by event: events are read for their task until one names it (the
   * task is recorded before that event is sent); each is at most `maxResponseBytes`.
   */
  private async stream(
    body: Readable,
    status: number,
    headers: Record<string, string | string[]>,
  ): Promise<void> {
    const { res } = this.r;
    res.writeHead(status, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const limit = this.target.maxResponseBytes;
    const events = new EventReader();
    let owned = false;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        const whole = events.add(chunk);
        let ready = whole.length;
        for (let i = 0; i < whole.length; i++) {
          const event = whole[i]!;
          if (event.length > limit) {
            ready = i;
            break;
          }
          const ids = owned ? undefined : idsOf(dataOf(event, this.r.jsonRpc));
          if (ids) {
            await this.own(ids);
            owned = true;
          }
        }
        // What came before an event too large still goes to the client, then the error.
        const out = ready === 1 ? whole[0]! : Buffer.concat(whole.slice(0, ready));
        if (out.length && !res.destroyed && !res.write(out)) await drained(res);
        if (ready < whole.length || events.pendingBytes > limit) throw this.tooLarge();
      }
      const rest = events.rest();
      if (rest.length && !res.destroyed) res.write(rest);
    } catch (err) {
      if (res.destroyed) return;
      const failure = this.failure(err);
      const data = this.r.jsonRpc
        ? { jsonrpc: '2.0', id: this.answer.id, error: toJsonRpcError(failure) }
        : toRestErrorBody(failure, restStatusFor(failure));
      res.write(`event: error\ndata: ${JSON.stringify(data)}\n\n`);
    }
    if (!res.destroyed) res.end();
  }

  /** The caller owns the task an answer names (a message continuing a task changes nothing). */
  private own(ids: { taskId: string; contextId: string } | undefined): Promise<void> {
    if (!ids) return Promise.resolve();
    return this.deps.taskOwners.created(this.agent, ids, this.message, this.r.principal);
  }

  private url(): string {
    if (this.r.jsonRpc) return this.target.url;
    const base = this.target.url.replace(/\/+$/, '');
    return `${base}/${this.op === 'SendMessage' ? 'message:send' : 'message:stream'}`;
  }

  /** What goes to the agent: the body's type, the version, the extensions asked for, its credentials. */
  private headers(): Record<string, string> {
    const { req } = this.r;
    const out: Record<string, string> = {
      'content-type': String(req.headers['content-type']),
      accept: this.op === 'SendStreamingMessage' ? 'text/event-stream' : 'application/json',
      'a2a-version': '1.0',
    };
    const ext = req.headers['a2a-extensions'];
    if (typeof ext === 'string') out['a2a-extensions'] = ext;
    for (const [k, v] of Object.entries(this.target.headers)) out[k.toLowerCase()] = v;
    return out;
  }

  private readonly tooLarge = () =>
    new GatewayError('SWY_UPSTREAM_RESPONSE_TOO_LARGE', {
      upstream: this.agent,
      method: this.op,
      limit: this.target.maxResponseBytes,
    });

  private failure(err: unknown): InvalidAgentResponseError {
    return agentFailure(this.deps.log, { name: this.agent, timeoutMs: this.target.timeoutMs }, this.op, err);
  }
}

/** Errors answered in the binding's shape, for the request's JSON-RPC id. */
class Answer {
  constructor(
    private readonly res: ServerResponse,
    private readonly jsonRpc: boolean,
    readonly id: string | number | null,
  ) {}

  error(err: unknown): void {
    if (this.jsonRpc) {
      sendJson(this.res, 200, { jsonrpc: '2.0', id: this.id, error: toJsonRpcError(err) });
    } else {
      const status = restStatusFor(err);
      sendJson(this.res, status, toRestErrorBody(err, status));
    }
  }
}

class NotA2a extends Error {
  constructor() {
    super('the answer is not A2A JSON');
  }
}

/**
 * The tasks and contexts a message names. Protobuf JSON parsers (the A2A SDKs') take a field by its
 * JSON name or its proto name (`taskId` or `task_id`), so both are read: the caller must own every
 * one, whichever the agent takes.
 */
export function messageIds(message: WireMessage | undefined): { taskIds: string[]; contextIds: string[] } {
  const named = (...values: unknown[]) => [
    ...new Set(values.filter((v) => v !== undefined && v !== null && v !== '').map(String)),
  ];
  return {
    taskIds: named(message?.taskId, message?.task_id),
    contextIds: named(message?.contextId, message?.context_id),
  };
}

/** The task (and context) an answer or stream event names, in A2A 1.0 JSON (either field name). */
export function idsOf(result: unknown): { taskId: string; contextId: string } | undefined {
  if (!result || typeof result !== 'object') return undefined;
  type Named = {
    id?: unknown;
    taskId?: unknown;
    task_id?: unknown;
    contextId?: unknown;
    context_id?: unknown;
  };
  const r = result as Record<string, Named | undefined>;
  const str = (...v: unknown[]) => String(v.find((x) => typeof x === 'string' && x) ?? '');
  const task = r.task;
  if (task && typeof task === 'object' && str(task.id))
    return { taskId: str(task.id), contextId: str(task.contextId, task.context_id) };
  const named = r.message ?? r.statusUpdate ?? r.status_update ?? r.artifactUpdate ?? r.artifact_update;
  if (!named || typeof named !== 'object') return undefined;
  const taskId = str(named.taskId, named.task_id);
  return taskId ? { taskId, contextId: str(named.contextId, named.context_id) } : undefined;
}

/** An SSE event's data as JSON (the JSON-RPC response's result), or undefined. */
function dataOf(event: Buffer, jsonRpc: boolean): unknown {
  let data = '';
  createParser({ onEvent: (e) => (data = e.data) }).feed(event.toString('utf8'));
  try {
    const json = JSON.parse(data) as { result?: unknown };
    return jsonRpc ? json?.result : json;
  } catch {
    return undefined;
  }
}

/** Splits a stream into whole SSE events, each with the blank line that ends it. */
export class EventReader {
  private parts: Buffer[] = [];
  private size = 0;
  private last = -1;

  /** The events this chunk completes. */
  add(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (const end of eventEnds(chunk, this.last)) {
      const piece = chunk.subarray(start, end);
      out.push(this.parts.length ? Buffer.concat([...this.parts, piece]) : piece);
      this.parts = [];
      this.size = 0;
      start = end;
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.size += chunk.length - start;
    }
    if (chunk.length) this.last = chunk[chunk.length - 1]!;
    return out;
  }

  /** How much of an event not yet whole has arrived. */
  get pendingBytes(): number {
    return this.size;
  }

  /** What is left of an event not yet whole. */
  rest(): Buffer {
    const rest = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    return rest;
  }
}

/** A whole body, read no further than `limit` bytes. */
async function readLimited(body: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const meter = new ResponseMeter(limit, false);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (!meter.add(chunk)) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
