/**
 * The links to HTTP upstreams: Streamable HTTP (the SDK's transport for the handshake, pings and
 * the standalone stream; an HttpChannel for forwarded calls) and legacy SSE (the SDK's transport
 * for everything). Loaded on first use, with the SDK's HTTP transports: a gateway of stdio
 * servers never needs them.
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { HttpMcpConfig, UpstreamConfig } from '../../config/schema.js';
import { UpstreamCredentials } from '../../policy/upstream-credentials.js';
import type { Logger } from '../../telemetry/logger.js';
import { HttpChannel } from './http-channel.js';
import { sharedChannel, tooLarge, type Connect, type ConnectionSink, type Link } from './link.js';
import { limitedFetch } from './response-limit.js';

/** Streamable HTTP: forwarded calls are POSTs of their own, whose streams carry what is theirs. */
export const connectStreamableHttp: Connect = async (spec, sink, log) => {
  const { StreamableHTTPClientTransport } =
    await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const mcp = httpSpec(spec);
  const { credentials, headers, fetch } = await access(spec, mcp, log, () => tooLarge(spec, SDK_TRAFFIC));
  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), {
    requestInit: { headers: { ...headers() } },
    fetch,
  });
  const http = new HttpChannel(
    {
      upstream: spec.name,
      url: new URL(mcp.url),
      headers,
      session: () => ({ sessionId: transport.sessionId, protocolVersion: transport.protocolVersion }),
      maxResponseBytes: spec.maxResponseBytes,
    },
    {
      // What a call's stream carries that is not about the call: only notifications reach here.
      unrelated: (msg) => {
        if ('method' in msg && !('id' in msg)) sink.notify(msg);
      },
      sessionLost: () => sink.lost('the upstream ended its MCP session'),
      transportError: (err) => sink.suspect(err.message),
    },
  );
  return Object.freeze({ transport, channel: http, http, credentials });
};

/**
 * Legacy SSE: one stream carries every answer, so an event over the limit may have been any call's:
 * every call in flight fails and the connection starts afresh.
 */
export const connectSse: Connect = async (spec, sink, log) => {
  const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
  const mcp = httpSpec(spec);
  const { credentials, headers, fetch } = await access(spec, mcp, log, () => {
    const err = tooLarge(spec, SDK_TRAFFIC);
    streamTooLarge(spec, sink, log);
    return err;
  });
  const transport = new SSEClientTransport(new URL(mcp.url), {
    requestInit: { headers: { ...headers() } },
    fetch,
  });
  return Object.freeze({ transport, channel: sharedChannel(transport), credentials });
};

/** What the SDK's transports read themselves. */
const SDK_TRAFFIC = 'handshake, ping or stream';

function httpSpec(spec: UpstreamConfig): HttpMcpConfig {
  return spec.mcp as HttpMcpConfig;
}

/**
 * The headers each request gets (refreshed tokens included), and the fetch the SDK's transports
 * use: those take headers once, so with credentials each request gets the current ones; and what
 * they read (the handshake, pings, their streams) is limited too.
 */
async function access(
  spec: UpstreamConfig,
  mcp: HttpMcpConfig,
  log: Logger,
  overLimit: () => Error,
): Promise<
  Pick<Link, 'credentials'> & { headers: () => Readonly<Record<string, string>>; fetch: FetchLike }
> {
  const creds = UpstreamCredentials.needed(mcp) ? new UpstreamCredentials(mcp, log) : undefined;
  await creds?.start();
  const base: FetchLike = creds
    ? (url, init) => {
        const h = new Headers(init?.headers);
        for (const [k, v] of Object.entries(creds.headers())) h.set(k, v);
        return fetch(url, { ...init, headers: h });
      }
    : (url, init) => fetch(url, init);
  return {
    credentials: creds,
    headers: creds ? () => creds.headers() : () => mcp.headers,
    fetch: limitedFetch(base, spec.maxResponseBytes, overLimit),
  };
}

function streamTooLarge(spec: UpstreamConfig, sink: ConnectionSink, log: Logger): void {
  log.warn({ limit: spec.maxResponseBytes }, 'upstream sent a message larger than maxResponseBytes');
  sink.lost(`it sent a message larger than maxResponseBytes (${spec.maxResponseBytes} bytes)`, (call) =>
    tooLarge(spec, call.method),
  );
}
