/**
 * The body of an A2A request, handed to the SDK. The listener has read it under the gateway's
 * size and depth limits (the SDK's own parser would stop at 100 kB); here it must be declared as
 * JSON, parse, and have params of the shape the SDK decodes (params.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestBody } from '../http/body.js';
import { GatewayError } from '../errors/index.js';
import { sendError, sendInvalidParams } from './front-errors.js';
import { paramsProblem, restBodyProblem } from './params.js';

/** A request whose body has been parsed: the SDK's Express parser sees it as finished and keeps it. */
type WithBody = IncomingMessage & { body?: unknown };

/**
 * Check and parse the body and attach it to the request; a body that is not JSON, or not sent as
 * JSON, gets the binding's error here. Returns the parsed body (undefined for none), or `refused`
 * when it answered.
 */
export function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  jsonRpc: boolean,
  body: RequestBody | undefined,
  sub: string,
): { parsed: unknown } | 'refused' {
  if (!body || body.empty) return { parsed: (req as WithBody).body };
  // A body not declared as JSON could come from a web page's "simple" cross-site request.
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/a2a+json') {
    const expected = 'application/json or application/a2a+json';
    sendError(res, new GatewayError('SWY_UNSUPPORTED_MEDIA_TYPE', { expected }), jsonRpc);
    return 'refused';
  }
  let parsed: unknown;
  try {
    parsed = body.json();
  } catch (err) {
    sendError(res, err, jsonRpc);
    return 'refused';
  }
  // The params' shape, before the SDK decodes them.
  const rpc =
    jsonRpc && parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  const problem = jsonRpc
    ? rpc && paramsProblem(rpc.method, rpc.params)
    : restBodyProblem(req.method ?? '', sub, parsed);
  if (problem) {
    sendInvalidParams(res, problem, rpc);
    return 'refused';
  }
  (req as WithBody).body = parsed;
  return { parsed };
}
