/**
 * The A2A front's refusals, each in the error shape of the binding the request came on: a
 * JSON-RPC error object (HTTP status from the catalogue) or an HTTP+JSON error body.
 */
import type { ServerResponse } from 'node:http';
import { A2A_ERROR_CODE, RequestMalformedError, toRestErrorBody } from '@a2a-js/sdk/errors';
import { asGatewayError, toJsonRpcError } from '../errors/index.js';
import { sendJson } from '../http/respond.js';

/** A refused request (WWW-Authenticate and Retry-After kept). */
export function sendError(res: ServerResponse, err: unknown, jsonRpc: boolean): void {
  const ge = asGatewayError(err);
  const body = jsonRpc
    ? { jsonrpc: '2.0', id: null, error: toJsonRpcError(ge) }
    : { error: { code: ge.status, status: ge.code, message: ge.message } };
  sendJson(res, ge.status, body, ge.headers);
}

/**
 * Params the SDK would not decode, as the SDK itself answers them: a JSON-RPC error under the
 * request's id (HTTP 200), or a REST 400.
 */
export function sendInvalidParams(res: ServerResponse, problem: string, rpc?: Record<string, unknown>): void {
  const message = `Invalid params: ${problem}`;
  if (rpc) {
    const id = typeof rpc.id === 'string' || typeof rpc.id === 'number' ? rpc.id : null;
    sendJson(res, 200, { jsonrpc: '2.0', id, error: { code: A2A_ERROR_CODE.INVALID_PARAMS, message } });
  } else sendJson(res, 400, toRestErrorBody(new RequestMalformedError(message), 400));
}

/** No agent of that name. */
export function sendNoAgent(res: ServerResponse, name: string, origin: string): void {
  sendJson(res, 404, { error: `no A2A agent named "${name}"`, agents: `${origin}/a2a` });
}
