/**
 * The one way a JSON answer is written on every mount (MCP, A2A, admin, health): status, the
 * `application/json` content type, and the body serialized once.
 */
import type { ServerResponse } from 'node:http';

/**
 * Answer with `body` as JSON. `headers` come after the content type, so an answer may carry
 * WWW-Authenticate or Retry-After, or name a JSON media type of its own (a CycloneDX BOM).
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
