/**
 * The words a connection and its transports share: what a transport gives a connection when it is
 * built (`Link`), and where a connection puts what the upstream sends that is not the answer to a
 * forwarded call (`ConnectionSink`, given when the connection is opened).
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { UpstreamConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors/index.js';
import type { UpstreamCredentials } from '../../policy/upstream-credentials.js';
import type { Logger } from '../../telemetry/logger.js';
import type { RpcNotification, RpcRequest } from '../jsonrpc.js';
import type { CallOutcome, Channel, PendingCall } from './forwarder.js';
import type { HttpChannel } from './http-channel.js';

/** What a connection tells the upstream that owns it. */
export interface ConnectionSink {
  /** A notification outside any forwarded call (list_changed, resources/updated, a log message, …). */
  notify(n: RpcNotification): void;
  /**
   * A server-to-client request outside any forwarded call. The connection sends the answer;
   * undefined sends none (the upstream cancelled the request).
   */
  request(req: RpcRequest): Promise<CallOutcome | undefined>;
  /**
   * The connection is gone: closed, its MCP session ended, or its one stream unusable. `fail`
   * names what the calls in flight fail with, when it is more than the connection being gone.
   */
  lost(reason: string, fail?: (call: PendingCall) => GatewayError): void;
  /** Something suggests the connection is gone (a transport error): worth a ping now. */
  suspect(reason: string): void;
}

/** One transport to an upstream, built whole; nothing is sent until the SDK Client starts it. */
export interface Link {
  /** What the SDK Client talks over: the handshake, pings, and for stdio and SSE every message. */
  readonly transport: Transport;
  /** Where forwarded calls go: the same transport, or for Streamable HTTP a POST per call. */
  readonly channel: Channel;
  readonly http?: HttpChannel;
  /** Headers from secret files and OAuth tokens (HTTP upstreams that configure them). */
  readonly credentials?: UpstreamCredentials;
}

/** Builds one transport's link (stdio, Streamable HTTP, legacy SSE). */
export type Connect = (spec: UpstreamConfig, sink: ConnectionSink, log: Logger) => Promise<Link>;

/** The channel of a transport that carries every message on one stream (stdio, legacy SSE). */
export function sharedChannel(transport: Transport): Channel {
  return {
    sendRequest: (req) => transport.send(req as Parameters<Transport['send']>[0]),
    send: (msg) => transport.send(msg as Parameters<Transport['send']>[0]),
  };
}

/** A message over `maxResponseBytes`: the error the call it answered fails with. */
export function tooLarge(spec: UpstreamConfig, method: string): GatewayError {
  return new GatewayError('SWY_UPSTREAM_RESPONSE_TOO_LARGE', {
    upstream: spec.name,
    method,
    limit: spec.maxResponseBytes,
  });
}
