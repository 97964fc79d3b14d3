/**
 * The request record: one per downstream request, filled in by each step of the pipeline
 * (accept → route → call upstream → respond). When the request ends it becomes the log line and
 * the metric labels — one source for every account of what happened.
 */
import type { RequestId } from '../mcp/jsonrpc.js';

export type Outcome = 'ok' | 'error' | 'upstream_error' | 'cancelled';

export interface RequestRecord {
  /** Gateway-wide request id, also returned to clients in internal-error messages. */
  readonly id: string;
  readonly time: number;
  readonly start: number;
  /** Which front it came in on: MCP over HTTP or stdio, or an A2A client (the MCP → A2A bridge). */
  readonly transport: 'http' | 'stdio' | 'a2a';
  readonly session: string | undefined;
  readonly method: string;
  readonly rpcId: RequestId;
  /** The tool/prompt name or resource URI the client asked for. */
  target?: string;
  /** Which upstream served it, and the name it knows the target by. */
  upstream?: string;
  upstreamTarget?: string;
  outcome?: Outcome;
  /** SWY_… for gateway errors, the JSON-RPC code for upstream errors. */
  errorCode?: string;
  durationMs?: number;
}

let seq = 0;
const prefix = process.pid.toString(36);

export function newRecord(
  transport: RequestRecord['transport'],
  session: string | undefined,
  method: string,
  rpcId: RequestId,
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
