/**
 * One connection to an upstream MCP server, opened and closed: the link its config names (stdio,
 * Streamable HTTP, legacy SSE), the Forwarder that relays calls over it, the SDK Client that
 * performs the handshake and pings, and what happens to a message over `maxResponseBytes`.
 *
 * Each part is built whole, in order — link, forwarder, mux, client — each given what it
 * delivers to. The connection reports what it sees to the upstream that owns it
 * (`ConnectionSink`); it keeps no state of its own beyond the objects it is made of.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isStdio, type UpstreamConfig } from '../../config/schema.js';
import type { UpstreamCredentials } from '../../policy/upstream-credentials.js';
import type { Logger } from '../../telemetry/logger.js';
import { VERSION } from '../../version.js';
import type { RpcMessage, RpcResponse } from '../jsonrpc.js';
import { Forwarder } from './forwarder.js';
import type { HttpChannel } from './http-channel.js';
import { tooLarge, type Connect, type ConnectionSink } from './link.js';
import { MuxTransport } from './mux-transport.js';
import { connectStdio, OversizedLine, StdioUpstreamTransport } from './stdio-transport.js';

export type { ConnectionSink } from './link.js';

export interface Connection {
  readonly client: Client;
  readonly forwarder: Forwarder;
  readonly transport: Transport;
  readonly http?: HttpChannel;
  /** Headers from secret files and OAuth tokens (HTTP upstreams that configure them). */
  readonly credentials?: UpstreamCredentials;
}

/** The link builder for a config: HTTP transports are loaded on first use. */
async function connectorFor(spec: UpstreamConfig): Promise<Connect> {
  if (isStdio(spec.mcp)) return connectStdio;
  const links = await import('./http-link.js');
  return spec.mcp.transport === 'sse' ? links.connectSse : links.connectStreamableHttp;
}

/**
 * Open a connection and perform the MCP handshake (at most `startTimeoutMs`; `signal` ends it
 * early). A failed or aborted handshake closes everything it opened (the transport, ending a child
 * process; credentials; the HTTP pool). Resolves with the finished, frozen connection.
 */
export async function openConnection(
  spec: UpstreamConfig,
  log: Logger,
  sink: ConnectionSink,
  signal: AbortSignal,
): Promise<Connection> {
  const link = await (await connectorFor(spec))(spec, sink, log);
  const { transport: inner, channel } = link;
  const forwarder = new Forwarder(spec.name, channel);
  const transport = new MuxTransport(inner, {
    message: (m) => route(forwarder, sink, log, m as RpcMessage),
    error: (err) => {
      if (!(err instanceof OversizedLine)) {
        log.debug({ err: err.message }, 'upstream transport error');
        return false;
      }
      oversizedLine(spec, log, forwarder, err);
      return true;
    },
    closed: () => sink.lost(closeReason(inner)),
  });
  const client = new Client(
    { name: 'switchyard', version: VERSION },
    {
      // The gateway relays these to its downstream clients (see docs/architecture.md).
      capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } },
    },
  );
  // The SDK keeps its abort listener after the answer, and an abort then would cancel the finished
  // initialize upstream: the handshake gets a signal of its own, tied to `signal` only meanwhile.
  const handshake = new AbortController();
  const end = () => handshake.abort(signal.reason);
  if (signal.aborted) end();
  signal.addEventListener('abort', end, { once: true });
  const conn: Connection = Object.freeze({
    client,
    forwarder,
    transport: inner,
    http: link.http,
    credentials: link.credentials,
  });
  try {
    await client.connect(transport, { timeout: spec.startTimeoutMs || 60_000, signal: handshake.signal });
  } catch (err) {
    // Nothing of a failed attempt keeps running: no token refresher, no pooled sockets.
    await closeConnection(conn, 'handshake failed').catch(() => {});
    throw err;
  } finally {
    signal.removeEventListener('abort', end);
  }
  return conn;
}

/**
 * A message the upstream sent outside a forwarded call's own response stream: an answer or
 * progress for a forwarded call goes to the forwarder; a request (but `ping`, which the SDK Client
 * answers) or a notification to the upstream's sink; the rest (answers to the Client's own
 * requests) to the Client.
 */
function route(forwarder: Forwarder, sink: ConnectionSink, log: Logger, msg: RpcMessage): boolean {
  if (forwarder.deliver(msg)) return true;
  if (!('method' in msg)) return false;
  if (!('id' in msg)) {
    sink.notify(msg);
    return true;
  }
  if (msg.method === 'ping') return false;
  sink
    .request(msg)
    .then((outcome) =>
      outcome ? forwarder.send({ jsonrpc: '2.0', id: msg.id, ...outcome } as RpcResponse) : undefined,
    )
    .catch((err: unknown) => log.debug({ err }, 'could not answer a server request'));
  return true;
}

export async function closeConnection(conn: Connection, reason: string): Promise<void> {
  conn.credentials?.stop();
  conn.forwarder.close(reason);
  if (conn.http) {
    // Tell the upstream the session is over (MCP §Session Management), if it still listens.
    const t = conn.transport as Transport & { terminateSession(): Promise<void> };
    await withTimeout(t.terminateSession(), 1000).catch(() => {});
  }
  await conn.client.close().catch(() => {});
  await conn.http?.close().catch(() => {});
}

/** An error's message, with the last lines a stdio server wrote to stderr. */
export function describe(err: unknown, conn?: Connection): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (conn && conn.transport instanceof StdioUpstreamTransport && conn.transport.lastStderr) {
    return `${msg} (stderr: ${conn.transport.lastStderr.split('\n').slice(-3).join(' | ')})`;
  }
  return msg;
}

/**
 * A stdio line over the limit was skipped. If its edges name the call it answers, that call
 * fails; a notification or request from the server is just dropped; a message that cannot be
 * told fails every call in flight, since any of them may have lost its answer.
 */
function oversizedLine(spec: UpstreamConfig, log: Logger, forwarder: Forwarder, line: OversizedLine): void {
  const fail = (call: { method: string }) => tooLarge(spec, call.method);
  const { id } = line;
  const answers = typeof id === 'string' && forwarder.isPending(id) ? id : undefined;
  log.warn(
    { limit: line.limit, ...(id !== undefined ? { id } : {}), hasMethod: line.method },
    'upstream sent a message larger than maxResponseBytes: skipped',
  );
  if (answers) forwarder.fail(answers, fail);
  else if (!line.method && id === undefined) forwarder.failAll(fail);
}

function closeReason(t: Transport): string {
  if (t instanceof StdioUpstreamTransport) {
    const tail = t.lastStderr.split('\n').slice(-3).join(' | ');
    return `the process exited${tail ? ` (stderr: ${tail})` : ''}`;
  }
  return 'the connection closed';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
}
