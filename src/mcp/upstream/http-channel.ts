/**
 * The hot path to a Streamable HTTP upstream: forwarded requests go out as POSTs on pooled
 * keep-alive connections (undici), inside the MCP session the SDK client established.
 *
 * Each POST's response — one JSON message, or an SSE stream — carries exactly the messages that
 * belong to that request (MCP 2025-11-25 §Sending Messages to the Server), so progress, log
 * messages and server-to-client requests are tied to the right caller without guessing. If the
 * upstream closes the stream before answering (§Resumability), the channel resumes it with GET and
 * Last-Event-ID.
 */
import { createParser } from 'eventsource-parser';
import { Pool } from 'undici';
import { GatewayError } from '../../gateway/errors.js';
import {
  classify,
  type RpcMessage,
  type RpcNotification,
  type RpcRequest,
  type RpcResponse,
} from '../jsonrpc.js';
import type { Channel, Forwarder, PendingCall } from './forwarder.js';

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

  constructor(
    private readonly upstream: string,
    url: URL,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly session: () => HttpSession,
    /** Called when the upstream forgot our session (404): the connection must re-initialize. */
    private readonly onSessionLost: () => void,
  ) {
    this.pool = new Pool(url.origin, { connections: 128, keepAliveTimeout: 30_000, pipelining: 1 });
    this.path = url.pathname + url.search;
  }

  async sendRequest(req: RpcRequest, call: PendingCall): Promise<void> {
    const ac = new AbortController();
    call.abort = () => ac.abort();
    const res = await this.post(JSON.stringify(req), ac.signal, req.method);
    // The response is consumed in the background; the forwarder settles the call as messages arrive.
    void this.consume(res, call, ac.signal).catch((err: unknown) => {
      if (ac.signal.aborted) return;
      const detail = (err as Error)?.message ?? String(err);
      this.forwarder?.fail(
        call.id,
        err instanceof GatewayError
          ? err
          : new GatewayError('SWY_UPSTREAM_FAILED', { upstream: this.upstream, method: req.method, detail }),
      );
    });
  }

  async send(msg: RpcNotification | RpcResponse): Promise<void> {
    const res = await this.post(JSON.stringify(msg), undefined, 'method' in msg ? msg.method : 'response');
    await res.body.dump();
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async post(body: string, signal: AbortSignal | undefined, method: string) {
    const { sessionId, protocolVersion } = this.session();
    const headers: Record<string, string> = {
      ...this.headers,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    if (protocolVersion) headers['mcp-protocol-version'] = protocolVersion;
    let res;
    try {
      res = await this.pool.request({ path: this.path, method: 'POST', headers, body, signal });
    } catch (err) {
      throw new GatewayError('SWY_UPSTREAM_UNAVAILABLE', {
        upstream: this.upstream,
        detail: (err as Error).message,
      });
    }
    if (res.statusCode === 404 && sessionId) {
      await res.body.dump();
      this.onSessionLost();
      throw new GatewayError('SWY_UPSTREAM_UNAVAILABLE', {
        upstream: this.upstream,
        detail: 'the upstream ended our MCP session; reconnecting',
      });
    }
    if (res.statusCode >= 400) {
      const text = await readLimited(res.body, ERROR_BODY_LIMIT);
      // A JSON-RPC error body is the upstream's own answer: pass it on as such.
      try {
        const parsed = classify(JSON.parse(text));
        if (parsed.kind === 'response' && 'error' in parsed.msg) {
          return {
            statusCode: 200,
            headers: { 'content-type': 'application/json' },
            body: jsonBody(parsed.msg),
          };
        }
      } catch {
        // not JSON: fall through
      }
      throw new GatewayError('SWY_UPSTREAM_FAILED', {
        upstream: this.upstream,
        method,
        detail: `HTTP ${res.statusCode}${text ? `: ${text.slice(0, 200)}` : ''}`,
      });
    }
    return res;
  }

  private async consume(
    res: { statusCode: number; headers: Record<string, string | string[] | undefined>; body: BodyLike },
    call: PendingCall,
    signal: AbortSignal,
  ): Promise<void> {
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('text/event-stream')) {
      await this.consumeSse(res.body, call, signal);
      return;
    }
    if (res.statusCode === 202) {
      await res.body.dump();
      return;
    }
    const text = await res.body.text();
    this.deliverText(text, call);
    if (!this.answered(call)) throw new Error('the response did not contain an answer to the request');
  }

  private async consumeSse(body: BodyLike, call: PendingCall, signal: AbortSignal): Promise<void> {
    let lastEventId: string | undefined;
    let retryMs = 1000;
    const parser = createParser({
      onEvent: (ev) => {
        if (ev.id) lastEventId = ev.id;
        if (ev.data) this.deliverText(ev.data, call);
      },
      onRetry: (ms) => {
        retryMs = ms;
      },
    });
    let stream: BodyLike = body;
    for (let resumes = 0; ; resumes++) {
      for await (const chunk of stream)
        parser.feed(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      if (this.answered(call) || signal.aborted) return;
      // The stream ended without the answer: resume it where it stopped, if the server allows.
      if (!lastEventId || resumes >= MAX_RESUMES) {
        throw new Error('the response stream ended before the answer arrived');
      }
      await new Promise((r) => setTimeout(r, Math.min(retryMs, 10_000)));
      if (signal.aborted) return;
      stream = await this.resume(lastEventId, signal);
      parser.reset({ consume: false });
    }
  }

  private async resume(lastEventId: string, signal: AbortSignal): Promise<BodyLike> {
    const { sessionId, protocolVersion } = this.session();
    const headers: Record<string, string> = {
      ...this.headers,
      accept: 'text/event-stream',
      'last-event-id': lastEventId,
    };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    if (protocolVersion) headers['mcp-protocol-version'] = protocolVersion;
    const res = await this.pool.request({ path: this.path, method: 'GET', headers, signal });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`resuming the response stream failed: HTTP ${res.statusCode}`);
    }
    return res.body;
  }

  private deliverText(text: string, call: PendingCall): void {
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

  /** Messages on a request's stream that are not about that request (list_changed, …). */
  unrelated?: (msg: RpcMessage) => void;

  private answered(call: PendingCall): boolean {
    return !this.forwarder?.isPending(call.id);
  }
}

type BodyLike = AsyncIterable<Buffer | string> & {
  text(): Promise<string>;
  dump(): Promise<void>;
};

function jsonBody(msg: RpcResponse): BodyLike {
  const text = JSON.stringify(msg);
  return {
    async *[Symbol.asyncIterator]() {
      yield text;
    },
    text: async () => text,
    dump: async () => {},
  };
}

async function readLimited(body: AsyncIterable<Buffer | string> & { dump(): Promise<void> }, limit: number) {
  let out = '';
  for await (const chunk of body) {
    out += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (out.length >= limit) {
      await body.dump().catch(() => {});
      break;
    }
  }
  return out.slice(0, limit);
}
