/**
 * The Streamable HTTP front at /mcp (MCP 2025-11-25 §Transports; also 2025-06-18 and 2025-03-26).
 *
 * It turns HTTP exchanges into messages for the pipeline and the pipeline's messages into HTTP:
 *  - POST carries client messages. A request's answer is plain JSON when nothing else needs to be
 *    sent first; if the call produces progress, log messages or server-to-client requests before
 *    its answer, the response becomes an SSE stream at that moment (responseMode: auto).
 *  - GET opens the session's standalone stream, or resumes any stream from Last-Event-ID.
 *  - DELETE ends the session.
 * Only the envelope is parsed here; params and results pass through as the client sent them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/schema.js';
import { GatewayError, toJsonRpcError } from '../../errors/index.js';
import { SUPPORTED_VERSIONS, type Pipeline } from '../../gateway/pipeline.js';
import { credentialFromHeader, type Principal } from '../../policy/principal.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { RequestBody } from '../../http/body.js';
import { sendJson } from '../../http/respond.js';
import {
  classify,
  type RpcMessage,
  type RpcNotification,
  type RpcRequest,
  type RpcResponse,
} from '../jsonrpc.js';
import type { Reply, Session, SessionOutlet } from '../session.js';
import type { SessionRegistry } from '../sessions.js';
import type { EventLog } from './sse.js';
import { parseEventId, PRIMING_SINCE, SseStream, writeStored, type StreamOptions } from './sse.js';

export interface HttpFrontDeps {
  pipeline: Pipeline;
  sessions: SessionRegistry;
  events: EventLog;
  config(): Config;
  log: Logger;
  metrics?: Metrics;
}

const SESSION_HEADER = 'mcp-session-id';
const EMPTY_BODY = new RequestBody(Buffer.alloc(0), 0);
const VERSION_HEADER = 'mcp-protocol-version';

export class HttpFront {
  /** Resumable streams still being written on this process, by stream id. */
  private readonly streams = new Map<string, SseStream>();
  /** Each session's standalone GET stream. */
  private readonly standalone = new Map<string, SseStream>();
  private keepAliveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: HttpFrontDeps) {}

  start(): void {
    const every = this.deps.config().server.sseKeepAliveMs;
    if (every > 0) {
      this.keepAliveTimer = setInterval(() => this.keepAlive(every), Math.max(1000, Math.floor(every / 2)));
      this.keepAliveTimer.unref();
    }
  }

  stop(): void {
    clearInterval(this.keepAliveTimer);
    for (const s of this.standalone.values()) s.end();
    for (const s of this.streams.values()) s.end();
    this.standalone.clear();
    this.streams.clear();
  }

  /** A session ended: close its standalone stream. */
  sessionClosed(session: Session): void {
    this.standalone.get(session.id)?.end();
    this.standalone.delete(session.id);
  }

  async handle(req: IncomingMessage, res: ServerResponse, body?: RequestBody): Promise<void> {
    try {
      switch (req.method) {
        case 'POST':
          return await this.post(req, res, body ?? EMPTY_BODY, await this.authenticate(req));
        case 'GET':
          return await this.get(req, res, await this.authenticate(req));
        case 'DELETE':
          return await this.delete(req, res, await this.authenticate(req));
        default:
          res.setHeader('allow', 'GET, POST, DELETE');
          throw new GatewayError('SWY_METHOD_NOT_ALLOWED', { method: req.method });
      }
    } catch (err) {
      if (res.headersSent) {
        this.deps.log.warn({ err }, 'error after the response started');
        res.end();
        return;
      }
      sendError(res, err);
      if (!(err instanceof GatewayError)) this.deps.log.error({ err }, 'internal error in the MCP front');
    }
  }

  private authenticate(req: IncomingMessage): Promise<Principal> {
    return this.deps.pipeline.authenticate(credentialFromHeader(req.headers.authorization), 'http');
  }

  private async post(
    req: IncomingMessage,
    res: ServerResponse,
    body: RequestBody,
    principal: Principal,
  ): Promise<void> {
    const accept = req.headers.accept ?? '';
    if (!acceptsAll(accept)) {
      throw new GatewayError('SWY_NOT_ACCEPTABLE', {
        detail: 'the client must accept both application/json and text/event-stream',
      });
    }
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.toLowerCase().startsWith('application/json'))
      throw new GatewayError('SWY_UNSUPPORTED_MEDIA_TYPE', { expected: 'application/json' });

    // Parsed only after the body reader checked its nesting (a JSON bomb stops there).
    const parsed = body.json();
    const batch = Array.isArray(parsed);
    const items = batch ? (parsed as unknown[]) : [parsed];
    if (items.length === 0) throw new GatewayError('SWY_INVALID_REQUEST', { detail: 'empty batch' });
    const messages: RpcMessage[] = [];
    for (const item of items) {
      const c = classify(item);
      if (c.kind === 'invalid') {
        return sendJson(res, 400, {
          jsonrpc: '2.0',
          id: c.id,
          error: toJsonRpcError(new GatewayError('SWY_INVALID_REQUEST', { detail: c.reason })),
        });
      }
      messages.push(c.msg);
    }

    // initialize: a new session (MCP §Session Management)
    const init = messages.find((m) => 'method' in m && m.method === 'initialize' && 'id' in m) as
      RpcRequest | undefined;
    if (init) {
      if (messages.length > 1) {
        throw new GatewayError('SWY_INVALID_REQUEST', { detail: 'initialize must be sent alone' });
      }
      const existing = header(req, SESSION_HEADER);
      if (existing && (await this.deps.sessions.get(existing)))
        throw new GatewayError('SWY_ALREADY_INITIALIZED');
      const { session, response } = await this.deps.pipeline.initialize(init, 'http', principal);
      if (session) session.outlet = this.outletFor(session);
      return sendJson(res, 200, response, session ? { [SESSION_HEADER]: session.id } : undefined);
    }

    const session = await this.session(req, principal);
    this.checkVersion(req);
    if (batch && session.protocolVersion >= '2025-06-18') {
      // JSON-RPC batching was removed from MCP in 2025-06-18.
      throw new GatewayError('SWY_INVALID_REQUEST', {
        detail: `batches are not supported in protocol ${session.protocolVersion}`,
      });
    }

    const requests: RpcRequest[] = [];
    for (const m of messages) {
      if ('method' in m && 'id' in m) requests.push(m);
      else if ('method' in m) this.deps.pipeline.notification(session, m as RpcNotification);
      else this.deps.pipeline.response(session, m);
    }
    if (requests.length === 0) {
      res.writeHead(202).end();
      return;
    }
    const responder = new PostResponder(res, session, requests, batch, this.deps, this.streams);
    for (const r of requests) {
      // request() answers every failure itself; a throw that escapes it is a bug, logged.
      this.deps.pipeline
        .request(session, r, responder.reply(r.id), principal)
        .catch((err: unknown) => this.deps.log.error({ err }, 'internal error in the pipeline'));
    }
  }

  private async get(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const accept = (req.headers.accept ?? '').toLowerCase();
    if (!accept.includes('text/event-stream') && !accept.includes('*/*')) {
      throw new GatewayError('SWY_NOT_ACCEPTABLE', { detail: 'GET needs Accept: text/event-stream' });
    }
    const session = await this.session(req, principal);
    this.checkVersion(req);
    const lastEventId = header(req, 'last-event-id');
    if (lastEventId) return this.resume(session, lastEventId, res);

    // The standalone stream: one per session. A new GET replaces a previous connection (a client
    // that reconnects may leave a half-open socket behind that we cannot tell from a live one).
    let stream = this.standalone.get(session.id);
    if (stream && !stream.ended) {
      stream.detach();
      stream.open(res, { [SESSION_HEADER]: session.id });
    } else {
      stream = this.newStream(session);
      this.standalone.set(session.id, stream);
      stream.open(res, { [SESSION_HEADER]: session.id });
    }
    session.outlet = this.outletFor(session);
  }

  private async resume(session: Session, lastEventId: string, res: ServerResponse): Promise<void> {
    const cursor = parseEventId(lastEventId);
    if (!cursor) throw new GatewayError('SWY_EVENT_NOT_FOUND', { eventId: lastEventId });
    const live = this.streams.get(cursor.streamId) ?? this.standaloneById(cursor.streamId);
    if (live) {
      if (live.sessionId !== session.id)
        throw new GatewayError('SWY_EVENT_NOT_FOUND', { eventId: lastEventId });
      live.detach();
      res.writeHead(200, sseHeaders(session.id));
      res.flushHeaders();
      live.attach(res);
      if (!live.replayFromMemory(cursor.seq))
        live.replayStored(await this.deps.events.after(cursor.streamId, cursor.seq));
      if (live.ended) res.end();
      return;
    }
    // Not live here: replay what the log has (the stream finished, or lived on another process).
    const owner = await this.deps.events.sessionOf(cursor.streamId);
    if (owner !== session.id) throw new GatewayError('SWY_EVENT_NOT_FOUND', { eventId: lastEventId });
    const events = await this.deps.events.after(cursor.streamId, cursor.seq);
    res.writeHead(200, sseHeaders(session.id));
    writeStored(res, events);
    res.end();
  }

  private async delete(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const session = await this.session(req, principal);
    await this.deps.sessions.close(session);
    sendJson(res, 200, {});
  }

  private async session(req: IncomingMessage, principal: Principal): Promise<Session> {
    const id = header(req, SESSION_HEADER);
    if (!id) throw new GatewayError('SWY_SESSION_REQUIRED');
    const session = await this.deps.sessions.get(id);
    if (!session || session.transport !== 'http') throw new GatewayError('SWY_SESSION_NOT_FOUND');
    // A session belongs to the principal that opened it; to anyone else it does not exist.
    if (session.principal !== undefined && session.principal !== principal.name)
      throw new GatewayError('SWY_SESSION_NOT_FOUND');
    // Groups come with the credential: policy on what reaches the session outside a request
    // (gateway/server-messages.ts) uses them as of the last exchange. A session restored from
    // the store gets them here.
    session.identity = principal;
    if (!session.outlet) session.outlet = this.outletFor(session);
    return session;
  }

  /** MCP §Protocol Version Header: an unsupported version is a 400; a missing one means 2025-03-26. */
  private checkVersion(req: IncomingMessage): void {
    const v = header(req, VERSION_HEADER);
    if (v !== undefined && !(SUPPORTED_VERSIONS as readonly string[]).includes(v)) {
      throw new GatewayError('SWY_UNSUPPORTED_PROTOCOL_VERSION', {
        version: v,
        supported: SUPPORTED_VERSIONS.join(', '),
      });
    }
  }

  private newStream(session: Session): SseStream {
    return new SseStream(streamOptions(session, this.deps));
  }

  private outletFor(session: Session): SessionOutlet {
    return {
      send: (msg) => {
        const s = this.standalone.get(session.id);
        if (!s || s.ended) return false;
        s.write(JSON.stringify(msg));
        return true;
      },
    };
  }

  private standaloneById(streamId: string): SseStream | undefined {
    for (const s of this.standalone.values()) if (s.id === streamId) return s;
    return undefined;
  }

  private keepAlive(every: number): void {
    const cutoff = Date.now() - every;
    for (const s of this.standalone.values()) if (s.attached && s.lastWrite < cutoff) s.keepAlive();
    for (const s of this.streams.values()) if (s.attached && s.lastWrite < cutoff) s.keepAlive();
  }
}

/**
 * One POST that carried requests: collects their answers, choosing JSON or SSE for the response
 * at the last possible moment (headers are not sent until the first thing must go out).
 */
class PostResponder {
  private stream: SseStream | undefined;
  private readonly answers: RpcResponse[] = [];
  private remaining: number;
  private finished = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly session: Session,
    private readonly requests: readonly RpcRequest[],
    private readonly batch: boolean,
    private readonly deps: HttpFrontDeps,
    private readonly live: Map<string, SseStream>,
  ) {
    this.remaining = requests.length;
    if (deps.config().server.responseMode === 'sse') this.startStream();
    // Before a stream exists, a closed connection means nobody can take the answers.
    res.once('close', () => {
      if (!this.finished && !this.stream) this.clientGone();
    });
  }

  reply(_id: RpcRequest['id']): Reply {
    return {
      related: (msg) => this.related(msg),
      respond: (msg) => this.respond(msg),
      cancelled: () => this.done(),
    };
  }

  private related(msg: RpcNotification | RpcRequest): void {
    if (this.finished) {
      this.session.notify(msg as RpcNotification);
      return;
    }
    if (!this.stream && this.deps.config().server.responseMode === 'json') {
      // JSON-only mode: what cannot wait goes on the standalone stream.
      this.session.outlet?.send(msg);
      return;
    }
    this.startStream().write(JSON.stringify(msg));
  }

  private respond(msg: RpcResponse): void {
    if (this.stream) this.stream.write(JSON.stringify(msg));
    else this.answers.push(msg);
    this.done();
  }

  private done(): void {
    if (--this.remaining > 0 || this.finished) return;
    this.finished = true;
    if (this.stream) {
      this.stream.end();
      this.live.delete(this.stream.id);
      return;
    }
    if (this.res.destroyed) return;
    if (this.answers.length === 0) {
      this.res.writeHead(202).end(); // everything was cancelled: there is no answer to give
      return;
    }
    const headers: Record<string, string> = { [SESSION_HEADER]: this.session.id };
    // A lone request refused by a rate limit is also refused at the HTTP level: 429 + Retry-After.
    const limited = !this.batch && rateLimited(this.answers[0]!);
    if (limited) headers['retry-after'] = limited;
    sendJson(this.res, limited ? 429 : 200, this.batch ? this.answers : this.answers[0], headers);
  }

  private startStream(): SseStream {
    if (this.stream) return this.stream;
    const stream = new SseStream(streamOptions(this.session, this.deps));
    this.stream = stream;
    this.live.set(stream.id, stream);
    stream.ondetach = () => {
      if (!stream.cursorGiven) this.clientGone();
    };
    if (!this.res.destroyed) stream.open(this.res, { [SESSION_HEADER]: this.session.id });
    // A batch's answers so far, once attached (before, they would only reach the log).
    for (const a of this.answers.splice(0)) stream.write(JSON.stringify(a));
    return stream;
  }

  /**
   * The client went away before the answers and holds no cursor to resume with: nobody can
   * receive them, so the calls are cancelled upstream. (With a cursor, the calls run on and their
   * events wait in the log for a GET with Last-Event-ID.)
   */
  private clientGone(): void {
    if (this.finished) return;
    for (const r of this.requests)
      this.session.inFlight.get(r.id)?.cancellation.cancel('client disconnected');
  }
}

/** How every resumable stream of a session is set up: logged, primed, and bounded in what it buffers. */
function streamOptions(session: Session, deps: HttpFrontDeps): StreamOptions {
  const config = deps.config();
  return {
    sessionId: session.id,
    resumable: true,
    priming: session.protocolVersion >= PRIMING_SINCE,
    retryMs: config.resumability.retryMs,
    log: deps.events,
    maxBufferBytes: config.server.maxStreamBufferBytes,
    onOverflow: (stream, buffered) => streamDropped(deps, session.id, stream.id, buffered),
  };
}

/** A client stopped reading its stream and was disconnected: logged and counted. */
function streamDropped(deps: HttpFrontDeps, session: string, stream: string, buffered: number): void {
  const limit = deps.config().server.maxStreamBufferBytes;
  deps.log.warn(
    { session, stream, buffered, limit },
    'SSE client stopped reading: disconnected it (it can resume with Last-Event-ID)',
  );
  deps.metrics?.sseDropped.inc();
}

function rateLimited(answer: RpcResponse): string | undefined {
  if (!('error' in answer)) return undefined;
  const data = answer.error.data as { code?: unknown; retryAfter?: unknown } | undefined;
  return data?.code === 'SWY_RATE_LIMITED' ? String(data.retryAfter) : undefined;
}

/** Media types are case-insensitive (RFC 9110 §8.3.1). */
function acceptsAll(accept: string): boolean {
  const a = accept.toLowerCase();
  return a.includes('*/*') || (a.includes('application/json') && a.includes('text/event-stream'));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sseHeaders(sessionId: string): Record<string, string> {
  return {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    [SESSION_HEADER]: sessionId,
  };
}

/** Transport-level failures: the HTTP status from the catalogue, a JSON-RPC error body. */
export function sendError(res: ServerResponse, err: unknown): void {
  const status = err instanceof GatewayError ? err.status : 500;
  const headers = err instanceof GatewayError ? err.headers : undefined;
  sendJson(res, status, { jsonrpc: '2.0', id: null, error: toJsonRpcError(err) }, headers);
}
