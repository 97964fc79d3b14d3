/**
 * The error catalogue: every error the gateway itself produces has a stable code, an HTTP status,
 * a JSON-RPC code, a message and a one-line fix. Codes are never reused or renumbered.
 *
 * Wire errors that an upstream sends (a JSON-RPC error object from an MCP server) are not
 * GatewayErrors: they are passed through unchanged. Mapping a GatewayError to a wire error happens
 * in exactly one place, `toJsonRpcError` below.
 */

import { ERRORS } from './catalogue.js';

export { ERRORS, JSONRPC } from './catalogue.js';

export type ErrorCode = keyof typeof ERRORS;

export class GatewayError extends Error {
  readonly status: number;
  readonly rpcCode: number;
  readonly fix: string;
  /** HTTP headers the answer must carry (WWW-Authenticate on 401, Retry-After on 429). */
  headers?: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    readonly params: Record<string, string | number | undefined> = {},
    options?: { cause?: unknown },
  ) {
    const e = ERRORS[code];
    super(fill(e.message, params), options);
    this.name = 'GatewayError';
    this.status = e.status;
    this.rpcCode = e.rpc;
    this.fix = fill(e.fix, params);
  }
}

function fill(template: string, params: Record<string, string | number | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? '?'));
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/**
 * The one mapping from a failure to a JSON-RPC error object. Anything that is not a GatewayError
 * is an internal failure: it becomes SWY_INTERNAL (never a client-fault code) and its details stay
 * in the log, keyed by request id.
 */
export function toJsonRpcError(err: unknown, requestId?: string): JsonRpcErrorObject {
  const ge = err instanceof GatewayError ? err : new GatewayError('SWY_INTERNAL', { requestId });
  const data: Record<string, unknown> = { code: ge.code, fix: ge.fix };
  if (ge.params.upstream !== undefined) data.upstream = ge.params.upstream;
  if (ge.params.retryAfter !== undefined) data.retryAfter = ge.params.retryAfter;
  return { code: ge.rpcCode, message: ge.message, data };
}

export function asGatewayError(err: unknown, requestId?: string): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('SWY_INTERNAL', { requestId }, { cause: err });
}
