/**
 * What the federation needs from anything that offers tools, prompts and resources: an MCP server
 * (`Upstream`) or an A2A agent seen through the bridge (`A2aUpstream`). The catalog, the router and
 * the pipeline depend on this interface only.
 */
import type { AnyUpstreamConfig } from '../../config/schema.js';
import type { JsonObject, RpcNotification } from '../jsonrpc.js';
import type { Span } from '@opentelemetry/api';
import type { Principal } from '../../policy/principal.js';
import type { CallOutcome, Cancellation, RelatedSink } from './forwarder.js';
import type { UpstreamInfo, UpstreamLists, UpstreamState } from './upstream.js';

export interface BackendCallOptions {
  cancellation?: Cancellation;
  related?: RelatedSink;
  timeoutMs?: number;
  /**
   * Who the call is for, how many agents deep it is (0: straight from a client), and the trace
   * span it belongs to (when tracing is on).
   */
  caller?: { principal: Principal; depth: number; span?: Span };
}

/** What the catalog needs to know of the gateway's own declared agents (`agent.<name>` tools). */
export interface AgentsSpec {
  readonly name: string;
  readonly prefix: 'always';
}

export interface Backend {
  readonly kind: 'mcp' | 'a2a' | 'agent';
  readonly name: string;
  readonly origin: 'config' | 'admin';
  readonly spec: AnyUpstreamConfig | AgentsSpec;
  readonly state: UpstreamState;
  readonly lastError: string | undefined;
  readonly lists: UpstreamLists;
  readonly lastKnownLists: UpstreamLists;
  /** The MCP initialize result (MCP upstreams only). */
  readonly info: UpstreamInfo | undefined;
  readonly inFlight: number;
  /** Oddities of the server the gateway works around (MCP upstreams), for /readyz and `switchyard tools`. */
  readonly tolerated?: readonly string[];
  /** Start connecting; resolves with `firstAttempt`. Never rejects: failures are retried. */
  start(): Promise<void>;
  /** Settles once the first attempt to start has ended, successfully or not. */
  readonly firstAttempt: Promise<void>;
  stop(graceMs?: number): Promise<void>;
  call(method: string, params: JsonObject | undefined, opts: BackendCallOptions): Promise<CallOutcome>;
  notify(n: RpcNotification): Promise<void>;
  /** The A2A skill a tool stands for (bridged agents' skill tools), for `skills:` policy rules. */
  skillOf?(tool: string): string | undefined;
}
