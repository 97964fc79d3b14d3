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
 * event names its task, then passed on as it arrives. The exchange with the agent is an undici
 * dispatch on the agent's own keep-alive connections (relay-exchange.ts); what is read of the
 * JSON is in relay-wire.ts.
 *
 * It relays SendMessage and SendStreamingMessage. Every other operation, and every request in
 * another version or binding, takes the SDK's path. `a2a.relay: false` turns it off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  TaskNotFoundError,
  restStatusFor,
  toJsonRpcError,
  toRestErrorBody,
  type InvalidAgentResponseError,
} from '@a2a-js/sdk/errors';
import { GatewayError } from '../errors/index.js';
import type { RequestBody } from '../http/body.js';
import { sendJson } from '../http/respond.js';
import { ResponseMeter } from '../mcp/upstream/response-limit.js';
import type { Principal } from '../policy/principal.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { agentFailure, HttpStatus } from './agent-failure.js';
import { checkParts, jsonPartSize, type PartLimits } from './front-part-limits.js';
import type { TaskOwnership } from './ownership.js';
import { exchange, type AnswerSink, type ResponseHeaders } from './relay-exchange.js';
import { dataOf, EventReader, idsOf, messageIds, type WireMessage } from './relay-wire.js';
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

/**
 * One relayed request: sent, its answer read for its task, passed on. It is the sink of the
 * exchange with the agent (relay-exchange.ts): a whole answer is collected and read once
 * complete; a stream is passed on event by event as it arrives.
 */
class RelayedCall implements AnswerSink {
  private readonly agent: string;
  private status = 0;
  private type = '';
  /** The agent's headers that go on to the client with its answer. */
  private answerHeaders: Record<string, string | string[]> = {};
  /** A whole answer's chunks, counted against maxResponseBytes as they come. */
  private chunks: Buffer[] = [];
  private meter: ResponseMeter | undefined;
  /** Set once the answer turned out to be a stream. */
  private events: EventReader | undefined;
  /** Whether a stream event has named the task yet (it is recorded before that event goes on). */
  private owned = false;

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
      await exchange(
        this.target.dispatcher,
        {
          path: this.path(),
          method: 'POST',
          headers: this.requestHeaders(),
          body: this.r.body.raw,
          headersTimeout: streaming ? undefined : this.target.timeoutMs,
          bodyTimeout: streaming ? 0 : this.target.timeoutMs,
        },
        this,
      );
    } catch (err) {
      if (res.destroyed) return;
      if (!this.events) {
        if (!res.headersSent) this.answer.error(this.failure(err));
        return;
      }
      // A stream that failed part way ends with an error event in the binding's shape.
      const failure = this.failure(err);
      const data = this.r.jsonRpc
        ? { jsonrpc: '2.0', id: this.answer.id, error: toJsonRpcError(failure) }
        : toRestErrorBody(failure, restStatusFor(failure));
      res.end(`event: error\ndata: ${JSON.stringify(data)}\n\n`);
    }
  }

  start(status: number, headers: ResponseHeaders): void {
    this.status = status;
    this.type = String(headers['content-type'] ?? '');
    const ext = headers['a2a-extensions'];
    if (ext) this.answerHeaders = { 'a2a-extensions': ext };
    if (status < 300 && this.type.toLowerCase().includes('text/event-stream')) {
      this.events = new EventReader();
      this.r.res.writeHead(status, {
        ...this.answerHeaders,
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
      });
      this.r.res.flushHeaders();
    } else {
      this.meter = new ResponseMeter(this.target.maxResponseBytes, false);
    }
  }

  data(chunk: Buffer): void | Promise<void> {
    if (this.events) {
      const events = this.events.add(chunk);
      return this.owned ? this.pass(events) : this.untilOwned(events);
    }
    if (!this.meter!.add(chunk)) throw this.tooLarge();
    this.chunks.push(chunk);
  }

  end(): void | Promise<void> {
    const { res } = this.r;
    if (!this.events) {
      const c = this.chunks;
      return this.whole(c.length === 1 ? c[0]! : Buffer.concat(c));
    }
    const rest = this.events.rest();
    if (!res.destroyed) res.end(rest.length ? rest : undefined);
  }

  /** A whole answer: the task it names is the caller's, then the bytes go to the client. */
  private async whole(bytes: Buffer): Promise<void> {
    const { status, type } = this;
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
    this.r.res.writeHead(status, { ...this.answerHeaders, ...out }).end(bytes);
  }

  /** Stream events before one has named the task: read for it, which is recorded before it goes on. */
  private async untilOwned(events: Buffer[]): Promise<void> {
    for (const event of events) {
      if (event.length > this.target.maxResponseBytes) break; // pass() sends what came before, then fails
      const ids = idsOf(dataOf(event, this.r.jsonRpc));
      if (ids) {
        await this.own(ids);
        this.owned = true;
        break;
      }
    }
    await this.pass(events);
  }

  /**
   * Whole events go to the client as they came, each at most `maxResponseBytes`: what came before
   * an event too large still goes, then the stream fails. Waits while the client cannot take more.
   */
  private pass(events: Buffer[]): void | Promise<void> {
    const { res } = this.r;
    const limit = this.target.maxResponseBytes;
    let ready = events.length;
    for (let i = 0; i < events.length; i++) {
      if (events[i]!.length > limit) {
        ready = i;
        break;
      }
    }
    const out = ready === 1 ? events[0]! : Buffer.concat(events.slice(0, ready));
    const full = out.length > 0 && !res.destroyed && !res.write(out);
    if (ready < events.length || this.events!.pendingBytes > limit) throw this.tooLarge();
    if (full) return drained(res);
  }

  /** The caller owns the task an answer names (a message continuing a task changes nothing). */
  private own(ids: { taskId: string; contextId: string } | undefined): Promise<void> {
    if (!ids) return Promise.resolve();
    return this.deps.taskOwners.created(this.agent, ids, this.message, this.r.principal);
  }

  /** The interface's path: the JSON-RPC endpoint, or the HTTP+JSON operation under its base. */
  private path(): string {
    if (this.r.jsonRpc) return this.target.path;
    const base = this.target.path.replace(/\/+$/, '');
    return `${base}/${this.op === 'SendMessage' ? 'message:send' : 'message:stream'}`;
  }

  /** What goes to the agent: the body's type, the version, the extensions asked for, its credentials. */
  private requestHeaders(): Record<string, string> {
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
