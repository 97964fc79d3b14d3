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
import { GatewayError } from '../../gateway/errors.js';
import {
  classify,
  type RpcMessage,
  type RpcNotification,
  type RpcRequest,
  type RpcResponse,
} from '../jsonrpc.js';
import type { Channel, Forwarder, PendingCall } from './forwarder.js';
import { ResponseMeter } from './response-limit.js';

export interface HttpSession {
  sessionId?: string;
  protocolVersion?: string;
}

const MAX_RESUMES = 5;
const ERROR_BODY_LIMIT = 4096;

export class HttpChannel implements Channel {
  private readonly pool: Pool;
  private readonly path: string;
  forwarder?: Forwarder;
  /** Messages on a request's stream that are not about that request (list_changed, …). */
  unrelated?: (msg: RpcMessage) => void;
  /** A request failed at the connection level (refused, reset): the upstream may be gone. */
  onTransportError?: (err: Error) => void;
  private cachedHeaders:
    | {
        base: Readonly<Record<string, string>>;
        sessionId?: string;
        protocolVersion?: string;
        headers: Record<string, string>;
      }
    | undefined;

  constructor(
    readonly upstream: string,
    url: URL,
    /** The upstream's own headers; the same object until a credential changes. */
    private readonly headers: () => Readonly<Record<string, string>>,
    private readonly session: () => HttpSession,
    /** Called when the upstream forgot our session (404): the connection must re-initialize. */
    readonly onSessionLost: () => void,
    /** Largest response body, or SSE event, read from the upstream. */
    readonly maxResponseBytes = Number.POSITIVE_INFINITY,
  ) {
    this.pool = new Pool(url.origin, { connections: 128, keepAliveTimeout: 30_000, pipelining: 1 });
    this.path = url.pathname + url.search;
  }

  sendRequest(req: RpcRequest, call: PendingCall): Promise<void> {
    const exchange = new Exchange(this, call, req.method);
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
  resume(exchange: Exchange, lastEventId: string): void {
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
      if (!this.forwarder?.deliver(c.msg as RpcMessage, call)) this.unrelated?.(c.msg as RpcMessage);
    }
  }

  answered(call: PendingCall): boolean {
    return !this.forwarder?.isPending(call.id);
  }

  fail(call: PendingCall, err: GatewayError): void {
    this.forwarder?.fail(call.id, err);
  }

  /** The same for every request of one MCP session (until a token is refreshed), so built rarely. */
  private requestHeaders(): Record<string, string> {
    const { sessionId, protocolVersion } = this.session();
    const base = this.headers();
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
class Exchange implements Dispatcher.DispatchHandler {
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
    this.call.abort = () => controller.abort(new Error('aborted by the gateway'));
  }

  /** Past the limit: stop reading (the connection is dropped) and fail the call. */
  private tooLarge(controller: Dispatcher.DispatchController): void {
    if (this.failed) return;
    this.failed = true;
    this.chunks = [];
    const { channel, call } = this;
    channel.fail(
      call,
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
      channel.onSessionLost();
      return this.fail('SWY_UPSTREAM_UNAVAILABLE', 'the upstream ended our MCP session; reconnecting');
    }
    if (status >= 400) {
      // A JSON-RPC error body is the upstream's own answer: pass it on as such.
      try {
        const c = classify(JSON.parse(body));
        if (c.kind === 'response' && 'error' in c.msg) {
          channel.deliver(body, call);
          if (channel.answered(call)) return;
        }
      } catch {
        // not JSON: report the status below
      }
      const text = body.slice(0, ERROR_BODY_LIMIT);
      return this.fail('SWY_UPSTREAM_FAILED', `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
    }
    if (!this.sse && status !== 202 && body) this.deliver(body);
    if (channel.answered(call) || this.failed) return;
    // The stream ended without the answer: resume it where it stopped, if the server allows.
    if (this.sse && this.lastEventId && this.resumes < MAX_RESUMES) {
      this.resumes++;
      const id = this.lastEventId;
      setTimeout(
        () => {
          if (!channel.answered(call)) channel.resume(this, id);
        },
        Math.min(this.retryMs, 10_000),
      ).unref();
      return;
    }
    this.fail('SWY_UPSTREAM_FAILED', 'the response ended before the answer arrived');
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.failed || this.channel.answered(this.call)) return;
    this.fail('SWY_UPSTREAM_UNAVAILABLE', err.message);
    this.channel.onTransportError?.(err);
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
    this.channel.fail(
      this.call,
      new GatewayError(code, { upstream: this.channel.upstream, method: this.method, detail }),
    );
  }
}
