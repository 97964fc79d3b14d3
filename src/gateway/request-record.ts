/**
 * The request record: one per downstream request, filled in by each step of the pipeline
 * (accept → authenticate → route → authorize → call upstream → respond). When the request ends it
 * becomes the ledger entry, the log line and the metric labels — one source for every account of
 * what happened.
 */
import type { LedgerInput } from '../ledger/entry.js';
import type { Span } from '@opentelemetry/api';
import type { RequestId } from '../mcp/jsonrpc.js';

export type Outcome = 'ok' | 'error' | 'upstream_error' | 'cancelled';

export interface RequestRecord {
  /** Gateway-wide request id, also returned to clients in internal-error messages. */
  readonly id: string;
  readonly time: number;
  readonly start: number;
  /**
   * Which front it came in on: MCP over HTTP or stdio, an A2A client (the MCP → A2A bridge), or a
   * declared agent's tool loop (`agent` says which agent).
   */
  readonly transport: 'http' | 'stdio' | 'a2a' | 'agent';
  readonly session: string | undefined;
  /** The MCP method, or the A2A operation (known once the body is read). */
  method: string;
  readonly rpcId: RequestId | null;
  /** The tool/prompt name or resource URI the client asked for. */
  target?: string;
  /** Which upstream served it, and the name it knows the target by. */
  upstream?: string;
  upstreamTarget?: string;
  outcome?: Outcome;
  /** SWY_… for gateway errors, the JSON-RPC code for upstream errors. */
  errorCode?: string;
  durationMs?: number;
  /** Who asked (authenticate). */
  principal?: string;
  /** What policy said, and which rule (authorize). */
  decision?: { effect: 'allow' | 'deny'; rule: string };
  /** The declared agent whose model made this call, on the principal's behalf. */
  agent?: string;
  /** The call's arguments (digested by the ledger writer, off the hot path). */
  args?: unknown;
  /** Hash of the tool definition the call was checked against (pinning). */
  definitionHash?: string;
  /** The request's trace span, when tracing is on. */
  span?: Span;
}

let seq = 0;
const prefix = process.pid.toString(36);

export function newRecord(
  transport: RequestRecord['transport'],
  session: string | undefined,
  method: string,
  rpcId: RequestId | null,
): RequestRecord {
  return {
    id: `${prefix}-${(++seq).toString(36)}`,
    time: Date.now(),
    start: performance.now(),
    transport,
    session,
    method,
    rpcId,
  };
}

/** The ledger's view of a finished MCP request. */
export function toLedgerInput(r: RequestRecord): LedgerInput {
  return {
    time: r.time,
    front: r.transport === 'a2a' ? 'a2a' : 'mcp',
    id: r.id,
    transport: r.transport,
    session: r.session,
    principal: r.principal,
    method: r.method,
    upstream: r.upstream,
    target: r.target,
    ...(r.agent ? { agent: r.agent } : {}),
    args: r.args,
    outcome: r.outcome,
    errorCode: r.errorCode,
    latencyMs: r.durationMs,
    decision: r.decision,
    definitionHash: r.definitionHash,
  };
}
