/**
 * The hot path to a Streamable HTTP upstream: forwarded requests go out as POSTs on pooled
 * keep-alive connections (undici), inside the MCP session the SDK client established.
 *
 * Each POST's response — one JSON message, or an SSE stream — carries exactly the messages that
 * belong to that request (MCP 2025-11-25 §Sending Messages to the Server), so progress, log
 * messages and server-to-client requests are tied to the right caller without guessing. If the
 * upstream closes the stream before answering (§Resumability), the channel resumes it with GET and
 * Last-Event-ID.
 *
 * Requests use undici's `dispatch` with a handler rather than `request()`: no response stream
 * object per call, the body arrives as chunks straight from the parser. Each response body (or
 * each event of a response stream) is counted as it arrives: past `maxResponseBytes` the exchange
 * is aborted and the call fails, without reading further.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { Pool, type Dispatcher } from 'undici';
import { GatewayError } from '../../errors/index.js';
import {
  classify,
  type RpcMessage,
  type RpcNotification,
  type RpcRequest,
  type RpcResponse,
} from '../jsonrpc.js';
import type { Channel, PendingCall } from './forwarder.js';
import { ResponseMeter } from './response-limit.js';

export interface HttpSession {
  sessionId?: string;
  protocolVersion?: string;
}

/** The upstream and the MCP session a channel sends in. */
export interface HttpChannelSpec {
  readonly upstream: string;
  readonly url: URL;
  /** The upstream's own headers; the same object until a credential changes. */
  readonly headers: () => Readonly<Record<string, string>>;
  /** The MCP session the SDK client established (id, negotiated version). */
  readonly session: () => HttpSession;
  /** Largest response body, or SSE event, read from the upstream. */
  readonly maxResponseBytes?: number;
}

/**
 * Where a channel puts what is not about a call's answer. What is, goes to the call itself
 * (`PendingCall.deliver`, `fail`).
 */
export interface HttpChannelSink {
  /** A message on a call's stream that is not about that call (list_changed, …). */
  unrelated(msg: RpcMessage): void;
  /** The upstream forgot our session (404): the connection must re-initialize. */
  sessionLost(): void;
  /** A request failed at the connection level (refused, reset): the upstream may be gone. */
  transportError(err: Error): void;
}

const MAX_RESUMES = 5;
const ERROR_BODY_LIMIT = 4096;

export class HttpChannel implements Channel {
  readonly upstream: string;
  readonly maxResponseBytes: number;
  private readonly pool: Pool;
  private readonly path: string;
  private cachedHeaders:
    | {
        base: Readonly<Record<string, string>>;
        sessionId?: string;
        protocolVersion?: string;
        headers: Record<string, string>;
      }
    | undefined;

  constructor(
    private readonly spec: HttpChannelSpec,
    readonly sink: HttpChannelSink,
  ) {
    this.upstream = spec.upstream;
    this.maxResponseBytes = spec.maxResponseBytes ?? Number.POSITIVE_INFINITY;
    this.pool = new Pool(spec.url.origin, { connections: 128, keepAliveTimeout: 30_000, pipelining: 1 });
    this.path = spec.url.pathname + spec.url.search;
  }

  sendRequest(req: RpcRequest, call: PendingCall): Promise<void> {
    const exchange = new UpstreamResponseHandler(this, call, req.method);
    this.pool.dispatch(
      { path: this.path, method: 'POST', headers: this.requestHeaders(), body: JSON.stringify(req) },
      exchange,
    );
    return Promise.resolve();
  }

  /** A notification, or an answer to a server-to-client request: the upstream replies 202. */
  async send(msg: RpcNotification | RpcResponse): Promise<void> {
    let res;
    try {
      res = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers: this.requestHeaders(),
        body: JSON.stringify(msg),
      });
    } catch (err) {
      throw new GatewayError('SWY_UPSTREAM_UNAVAILABLE', {
        upstream: this.upstream,
        detail: (err as Error).message,
      });
    }
    await res.body.dump();
  }

  /** GET with Last-Event-ID: the rest of a response stream the upstream closed early. */
  resume(exchange: UpstreamResponseHandler, lastEventId: string): void {
    this.pool.dispatch(
      {
        path: this.path,
        method: 'GET',
        headers: { ...this.requestHeaders(), accept: 'text/event-stream', 'last-event-id': lastEventId },
      },
      exchange,
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** Deliver one message body (a JSON-RPC message or a batch) that arrived for `call`. */
  deliver(text: string, call: PendingCall): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`invalid JSON from upstream: ${text.slice(0, 120)}`);
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const c = classify(item);
      if (c.kind === 'invalid') throw new Error(`invalid JSON-RPC message from upstream: ${c.reason}`);
      if (!call.deliver(c.msg as RpcMessage)) this.sink.unrelated(c.msg as RpcMessage);
    }
  }

  /** The same for every request of one MCP session (until a token is refreshed), so built rarely. */
  private requestHeaders(): Record<string, string> {
    const { sessionId, protocolVersion } = this.spec.session();
    const base = this.spec.headers();
    const cached = this.cachedHeaders;
    if (
      cached &&
      cached.base === base &&
      cached.sessionId === sessionId &&
      cached.protocolVersion === protocolVersion
    )
      return cached.headers;
    const headers: Record<string, string> = {
      ...base,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    if (protocolVersion) headers['mcp-protocol-version'] = protocolVersion;
    this.cachedHeaders = {
      base,
      sessionId,
      protocolVersion,
      headers: Object.freeze(headers) as Record<string, string>,
    };
    return headers;
  }
}

/** One forwarded request's HTTP exchange (and its resumptions), as an undici dispatch handler. */
class UpstreamResponseHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private meter: ResponseMeter | undefined;
  private sse: EventSourceParser | undefined;
  /** Decodes an SSE stream's UTF-8 across chunk boundaries (a character may be split in two). */
  private decoder: StringDecoder | undefined;
  /** A JSON body is decoded once, when complete. */
  private chunks: Buffer[] = [];
  private lastEventId: string | undefined;
  private retryMs = 1000;
  private resumes = 0;
  private failed = false;

  constructor(
    private readonly channel: HttpChannel,
    private readonly call: PendingCall,
    private readonly method: string,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.call.onAbort(() => controller.abort(new Error('aborted by the gateway')));
  }

  /** Past the limit: stop reading (the connection is dropped) and fail the call. */
  private tooLarge(controller: Dispatcher.DispatchController): void {
    if (this.failed) return;
    this.failed = true;
    this.chunks = [];
    const { channel, call } = this;
    call.fail(
      new GatewayError('SWY_UPSTREAM_RESPONSE_TOO_LARGE', {
        upstream: channel.upstream,
        method: this.method,
        limit: channel.maxResponseBytes,
      }),
    );
    controller.abort(new Error(`response larger than ${channel.maxResponseBytes} bytes`));
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[]>,
  ): void {
    if (status < 200) return;
    this.status = status;
    this.chunks = [];
    const type = String(headers['content-type'] ?? '');
    this.meter = ResponseMeter.for(this.channel.maxResponseBytes, type);
    this.sse =
      status < 300 && type.includes('text/event-stream')
        ? createParser({
            onEvent: (ev) => {
              if (ev.id) this.lastEventId = ev.id;
              if (ev.data) this.deliver(ev.data);
            },
            onRetry: (ms) => {
              this.retryMs = ms;
            },
          })
        : undefined;
    this.decoder = this.sse ? new StringDecoder('utf8') : undefined;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.failed) return;
    if (this.meter && !this.meter.add(chunk)) return this.tooLarge(controller);
    if (this.sse) this.sse.feed(this.decoder!.write(chunk));
    else this.chunks.push(chunk);
  }

  private body(): string {
    const c = this.chunks;
    return c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8');
  }

  onResponseEnd(): void {
    if (this.failed) return;
    if (this.sse) this.sse.feed(this.decoder!.end());
    const body = this.sse ? '' : this.body();
    const { channel, call } = this;
    const status = this.status;
    if (status === 404 && this.resumes === 0) {
      channel.sink.sessionLost();
      return this.fail('SWY_UPSTREAM_UNAVAILABLE', 'the upstream ended our MCP session; reconnecting');
    }
    if (status >= 400) {
      // A JSON-RPC error body is the upstream's own answer: pass it on as such.
      try {
        const c = classify(JSON.parse(body));
        if (c.kind === 'response' && 'error' in c.msg) {
          channel.deliver(body, call);
          if (call.done()) return;
        }
      } catch {
        // not JSON: report the status below
      }
      const text = body.slice(0, ERROR_BODY_LIMIT);
      return this.fail('SWY_UPSTREAM_FAILED', `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
    }
    if (!this.sse && status !== 202 && body) this.deliver(body);
    if (call.done() || this.failed) return;
    // The stream ended without the answer: resume it where it stopped, if the server allows.
    if (this.sse && this.lastEventId && this.resumes < MAX_RESUMES) {
      this.resumes++;
      const id = this.lastEventId;
      setTimeout(
        () => {
          if (!call.done()) channel.resume(this, id);
        },
        Math.min(this.retryMs, 10_000),
      ).unref();
      return;
    }
    this.fail('SWY_UPSTREAM_FAILED', 'the response ended before the answer arrived');
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.failed || this.call.done()) return;
    this.fail('SWY_UPSTREAM_UNAVAILABLE', err.message);
    this.channel.sink.transportError(err);
  }

  private deliver(text: string): void {
    try {
      this.channel.deliver(text, this.call);
    } catch (err) {
      this.fail('SWY_UPSTREAM_FAILED', (err as Error).message);
    }
  }

  private fail(code: 'SWY_UPSTREAM_FAILED' | 'SWY_UPSTREAM_UNAVAILABLE', detail: string): void {
    if (this.failed) return;
    this.failed = true;
    this.call.fail(new GatewayError(code, { upstream: this.channel.upstream, method: this.method, detail }));
  }
}
