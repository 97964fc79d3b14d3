/**
 * The forwarder: relays requests to one upstream connection and brings back what belongs to them.
 *
 * A relay cannot use the caller's JSON-RPC ids or progress tokens upstream: many downstream sessions
 * share one upstream connection, and their ids collide. So every forwarded request gets a fresh id
 * (and, when the caller asked for progress, a fresh progress token); progress is re-emitted under
 * the caller's token, a downstream cancellation becomes `notifications/cancelled` for our id
 * (MCP 2025-11-25 §Cancellation), and the per-request timeout restarts on every progress
 * notification (§Progress, "implementations MAY reset the timeout clock on progress"), with an
 * optional hard cap. Results and errors come back exactly as the upstream sent them.
 */
import { GatewayError } from '../../errors/index.js';
import {
  progressTokenOf,
  withProgressToken,
  type JsonObject,
  type RequestId,
  type RpcErrorObject,
  type RpcMessage,
  type RpcNotification,
  type RpcRequest,
  type RpcResponse,
} from '../jsonrpc.js';

export type CallOutcome = { result: JsonObject } | { error: RpcErrorObject };

/** Where an upstream's messages about one call go (the caller's session and request). */
export interface RelatedSink {
  /** A progress notification, already carrying the caller's own progress token. */
  progress(params: JsonObject): void;
  /** Any other notification the upstream tied to this call (e.g. a log message on its stream). */
  notification(n: RpcNotification): void;
  /** A server-to-client request (sampling, elicitation, roots) the upstream made while serving the call. */
  request(req: RpcRequest, signal: AbortSignal): Promise<CallOutcome>;
  /** Whether the caller can answer a server-to-client request of this method (e.g. elicitation). */
  supports?(method: string): boolean;
}

export interface CallOptions {
  timeoutMs: number;
  maxTotalTimeoutMs?: number;
  /** Cancelled when the caller cancels; the upstream is then told with notifications/cancelled. */
  cancellation?: Cancellation;
  related?: RelatedSink;
}

type CancelListener = (reason: unknown) => void;
const NOTHING_TO_REMOVE = (): void => {};

/**
 * A request's cancellation: a flag and the listeners to tell. It does the job of an AbortSignal on
 * the request path at a fraction of the cost per call (most calls have one listener, kept in a
 * field). Every listener added is told exactly once, also one added after the cancel.
 */
export class Cancellation {
  cancelled = false;
  reason: unknown;
  private first: CancelListener | undefined;
  private more: CancelListener[] | undefined;

  cancel(reason?: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    const { first, more } = this;
    this.first = this.more = undefined;
    first?.(reason);
    if (more) for (const fn of more) fn(reason);
  }

  /** Call `fn` when the request is cancelled (at once if it already is); returns its removal. */
  onCancel(fn: CancelListener): () => void {
    if (this.cancelled) {
      fn(this.reason);
      return NOTHING_TO_REMOVE;
    }
    if (this.first === undefined) {
      this.first = fn;
      return () => {
        if (this.first === fn) this.first = undefined;
      };
    }
    (this.more ??= []).push(fn);
    return () => {
      const i = this.more?.indexOf(fn) ?? -1;
      if (i >= 0) this.more!.splice(i, 1);
    };
  }
}

/** What carries forwarded messages to the upstream (stdio pipe, SSE, pooled HTTP). */
export interface Channel {
  /**
   * Send a forwarded request. Channels that can tell which incoming messages belong to it (one
   * HTTP response stream per request) hand them to `call.deliver(msg)` themselves.
   */
  sendRequest(req: RpcRequest, call: PendingCall): Promise<void>;
  /** Send a notification or a response to a server-to-client request. */
  send(msg: RpcNotification | RpcResponse): Promise<void>;
}

/** A forwarded call as a channel sees it: what it is, and where what arrives for it goes. */
export interface PendingCall {
  readonly id: string;
  readonly method: string;
  readonly upstream: string;
  readonly related?: RelatedSink;
  /** The caller's progress token, restored on re-emitted progress. */
  readonly callerToken?: RequestId;
  /** A message that arrived on this call's own response stream; false when it is not about the call. */
  deliver(msg: RpcMessage): boolean;
  /** Whether the call has ended (answered, failed, cancelled or timed out). */
  done(): boolean;
  /** End the call with a gateway error (its response stream broke, say). */
  fail(err: GatewayError): void;
  /** Run `fn` if the gateway gives up on the call (cancel, timeout): drops its response stream. */
  onAbort(fn: () => void): void;
}

/** One pending call: what the channel sees, and the forwarder's own bookkeeping. */
class Entry implements PendingCall {
  /** Set by channels that stream per request (`onAbort`): drops the response stream. */
  abort?: () => void;

  constructor(
    private readonly forwarder: Forwarder,
    readonly id: string,
    readonly method: string,
    readonly related: RelatedSink | undefined,
    readonly callerToken: RequestId | undefined,
    readonly resolve: (o: CallOutcome) => void,
    readonly reject: (e: unknown) => void,
    readonly timer: NodeJS.Timeout,
    private readonly hardTimer: NodeJS.Timeout | undefined,
    private readonly stopListening: (() => void) | undefined,
  ) {}

  get upstream(): string {
    return this.forwarder.upstream;
  }

  deliver(msg: RpcMessage): boolean {
    return this.forwarder.deliver(msg, this);
  }

  done(): boolean {
    return !this.forwarder.isPending(this.id);
  }

  fail(err: GatewayError): void {
    this.forwarder.fail(this.id, err);
  }

  onAbort(fn: () => void): void {
    this.abort = fn;
  }

  cleanup(pending: Map<string, Entry>): void {
    clearTimeout(this.timer);
    if (this.hardTimer) clearTimeout(this.hardTimer);
    this.stopListening?.();
    pending.delete(this.id);
  }
}

/** Prefix of the ids the gateway uses upstream; the SDK Client sharing the connection uses numbers. */
export const FORWARD_ID_PREFIX = 'swy-';

export class Forwarder {
  private seq = 0;
  private readonly pending = new Map<string, Entry>();
  private closed: GatewayError | undefined;

  constructor(
    readonly upstream: string,
    private readonly channel: Channel,
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  /** Forward one request and resolve with the upstream's result or error object. */
  call(method: string, params: JsonObject | undefined, opts: CallOptions): Promise<CallOutcome> {
    if (this.closed) return Promise.reject(this.closed);
    if (opts.cancellation?.cancelled) return Promise.reject(new CallCancelled(opts.cancellation.reason));
    const id = `${FORWARD_ID_PREFIX}${++this.seq}`;
    const callerToken = progressTokenOf(params);
    // Progress is only wanted when the caller asked for it; our token is our request id.
    const upstreamParams = callerToken !== undefined ? withProgressToken(params, id) : params;
    const request: RpcRequest = upstreamParams
      ? { jsonrpc: '2.0', id, method, params: upstreamParams }
      : { jsonrpc: '2.0', id, method };

    return new Promise<CallOutcome>((resolve, reject) => {
      const max = opts.maxTotalTimeoutMs;
      const entry = new Entry(
        this,
        id,
        method,
        opts.related,
        callerToken,
        resolve,
        reject,
        setTimeout(() => this.timeout(id, opts.timeoutMs), opts.timeoutMs || 2 ** 31 - 1),
        max ? setTimeout(() => this.timeout(id, max), max) : undefined,
        // Not cancelled yet (checked above): the listener runs later, once the entry is pending.
        opts.cancellation?.onCancel((reason) => this.cancel(id, reason)),
      );
      this.pending.set(id, entry);
      this.channel.sendRequest(request, entry).catch((err: unknown) => {
        this.settle(id, (e) =>
          e.reject(
            err instanceof GatewayError
              ? err
              : new GatewayError(
                  'SWY_UPSTREAM_UNAVAILABLE',
                  { upstream: this.upstream, detail: (err as Error)?.message ?? String(err) },
                  { cause: err },
                ),
          ),
        );
      });
    });
  }

  /** Send a notification, or the answer to a server-to-client request, upstream. */
  send(msg: RpcNotification | RpcResponse): Promise<void> {
    return this.channel.send(msg);
  }

  /**
   * An incoming message that may belong to a forwarded call. Returns false when it is not ours,
   * so the connection can hand it to the SDK client sharing the channel.
   */
  deliver(msg: RpcMessage, via?: PendingCall): boolean {
    if ('result' in msg || 'error' in msg) {
      const id = msg.id;
      if (typeof id !== 'string' || !id.startsWith(FORWARD_ID_PREFIX)) return false;
      this.settle(id, (e) => e.resolve('result' in msg ? { result: msg.result } : { error: msg.error }));
      return true;
    }
    if (msg.method === 'notifications/progress') {
      const token = msg.params?.progressToken;
      if (typeof token !== 'string' || !token.startsWith(FORWARD_ID_PREFIX)) return via !== undefined;
      const entry = this.pending.get(token);
      if (!entry) return true; // progress for a call that already finished: drop it
      entry.timer.refresh();
      if (entry.callerToken !== undefined)
        entry.related?.progress({ ...msg.params, progressToken: entry.callerToken });
      return true;
    }
    if (via) {
      const entry = this.pending.get(via.id);
      if ('id' in msg) {
        // A server-to-client request made while serving `via`: it belongs to the same caller.
        if (entry?.related) this.answerRelated(msg, entry);
        else void this.channel.send(noClient(msg)).catch(() => {});
        return true;
      }
      if (entry?.related) {
        entry.related.notification(msg);
        return true;
      }
    }
    return false;
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** Fail one call with a gateway error (its response stream broke, say). */
  fail(id: string, err: GatewayError | ((call: PendingCall) => GatewayError)): void {
    this.settle(id, (e) => e.reject(typeof err === 'function' ? err(e) : err));
  }

  /** The connection is gone: every pending call fails now, naming the upstream. */
  close(reason: string): void {
    this.closed = new GatewayError('SWY_UPSTREAM_UNAVAILABLE', { upstream: this.upstream, detail: reason });
    this.failAll(reason);
  }

  /**
   * Fail what is pending (the connection dropped, or a message no one can tell the call of was
   * lost) but keep accepting calls.
   */
  failAll(reason: string | ((call: PendingCall) => GatewayError)): void {
    const err =
      typeof reason === 'function'
        ? reason
        : (call: PendingCall) =>
            new GatewayError('SWY_UPSTREAM_FAILED', {
              upstream: this.upstream,
              method: call.method,
              detail: reason,
            });
    for (const id of [...this.pending.keys()]) this.fail(id, err);
  }

  private answerRelated(req: RpcRequest, entry: Entry): void {
    const ac = new AbortController();
    entry
      .related!.request(req, ac.signal)
      .then(
        (outcome) => this.channel.send({ jsonrpc: '2.0', id: req.id, ...outcome } as RpcResponse),
        (err: unknown) =>
          this.channel.send({
            jsonrpc: '2.0',
            id: req.id,
            error: { code: -32603, message: (err as Error)?.message ?? 'client request failed' },
          }),
      )
      .catch(() => {});
  }

  private cancel(id: string, reason: unknown): void {
    this.settle(id, (e) => {
      e.abort?.();
      e.reject(new CallCancelled(reason));
    });
    void this.channel
      .send({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, ...(reason !== undefined ? { reason: String(reason) } : {}) },
      })
      .catch(() => {});
  }

  private timeout(id: string, ms: number): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.cancelUpstream(id, `timed out after ${ms} ms`);
    this.settle(id, (e) => {
      e.abort?.();
      e.reject(
        new GatewayError('SWY_UPSTREAM_TIMEOUT', {
          upstream: this.upstream,
          method: e.method,
          timeoutMs: ms,
        }),
      );
    });
  }

  private cancelUpstream(id: string, reason: string): void {
    void this.channel
      .send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } })
      .catch(() => {});
  }

  private settle(id: string, fn: (e: Entry) => void): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    entry.cleanup(this.pending);
    fn(entry);
  }
}

/** Marker for a call the caller itself cancelled: no response is sent for it. */
export class CallCancelled extends Error {
  constructor(readonly reason?: unknown) {
    super('cancelled');
    this.name = 'CallCancelled';
  }
}

function noClient(req: RpcRequest): RpcResponse {
  return {
    jsonrpc: '2.0',
    id: req.id,
    error: { code: -32601, message: `No connected client can answer ${req.method}` },
  };
}
