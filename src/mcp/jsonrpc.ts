/**
 * JSON-RPC 2.0 message shapes as the gateway relays them.
 *
 * A relay treats params and results as opaque objects: it reads the few fields it routes on and
 * passes everything else through untouched (MCP fields it does not know included). These guards
 * are structural checks of the envelope only, cheap enough for every message on the hot path; the
 * SDK's zod guards validate whole payloads and are used at the protocol edges instead.
 */

export type RequestId = string | number;
export type JsonObject = Record<string, unknown>;

export interface RpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: JsonObject;
}

export interface RpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: JsonObject;
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface RpcResult {
  jsonrpc: '2.0';
  id: RequestId;
  result: JsonObject;
}

export interface RpcError {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: RpcErrorObject;
}

export type RpcResponse = RpcResult | RpcError;
export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

export type Classified =
  | { kind: 'request'; msg: RpcRequest }
  | { kind: 'notification'; msg: RpcNotification }
  | { kind: 'response'; msg: RpcResponse }
  | { kind: 'invalid'; reason: string; id: RequestId | null };

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is RequestId =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** Classify one parsed JSON value as a JSON-RPC 2.0 message (MCP: ids are never null). */
export function classify(value: unknown): Classified {
  if (!isObject(value)) return { kind: 'invalid', reason: 'a JSON-RPC message must be an object', id: null };
  const id = isId(value.id) ? value.id : null;
  if (value.jsonrpc !== '2.0') return { kind: 'invalid', reason: 'jsonrpc must be "2.0"', id };
  if ('method' in value) {
    if (typeof value.method !== 'string') return { kind: 'invalid', reason: 'method must be a string', id };
    if (value.params !== undefined && !isObject(value.params)) {
      return { kind: 'invalid', reason: 'params must be an object', id };
    }
    if (!('id' in value)) return { kind: 'notification', msg: value as unknown as RpcNotification };
    if (!isId(value.id)) return { kind: 'invalid', reason: 'id must be a string or a number', id: null };
    return { kind: 'request', msg: value as unknown as RpcRequest };
  }
  if ('result' in value || 'error' in value) {
    if (!isId(value.id) && !(value.id === null && 'error' in value)) {
      return { kind: 'invalid', reason: 'response id must be a string or a number', id: null };
    }
    if ('result' in value && !isObject(value.result)) {
      return { kind: 'invalid', reason: 'result must be an object', id };
    }
    if ('error' in value) {
      const e = value.error;
      if (!isObject(e) || typeof e.code !== 'number' || typeof e.message !== 'string') {
        return { kind: 'invalid', reason: 'error must be { code: number, message: string }', id };
      }
    }
    return { kind: 'response', msg: value as unknown as RpcResponse };
  }
  return { kind: 'invalid', reason: 'not a request, notification or response', id };
}

export const isResponse = (m: RpcMessage): m is RpcResponse => 'result' in m || 'error' in m;
export const isRequest = (m: RpcMessage): m is RpcRequest => 'method' in m && 'id' in m;
export const isNotification = (m: RpcMessage): m is RpcNotification => 'method' in m && !('id' in m);

export function errorResponse(id: RequestId | null, error: RpcErrorObject): RpcError {
  return { jsonrpc: '2.0', id, error };
}

export function resultResponse(id: RequestId, result: JsonObject): RpcResult {
  return { jsonrpc: '2.0', id, result };
}

export function progressTokenOf(params: JsonObject | undefined): string | number | undefined {
  const meta = params?._meta;
  if (!isObject(meta)) return undefined;
  const t = meta.progressToken;
  return isId(t) ? t : undefined;
}

/** A copy of params with `_meta.progressToken` replaced (or removed when token is undefined). */
export function withProgressToken(params: JsonObject | undefined, token: RequestId | undefined): JsonObject {
  const meta = isObject(params?._meta) ? { ...(params._meta as JsonObject) } : {};
  if (token === undefined) delete meta.progressToken;
  else meta.progressToken = token;
  const out: JsonObject = { ...params };
  if (Object.keys(meta).length > 0) out._meta = meta;
  else delete out._meta;
  return out;
}
