/**
 * A `fetch` for the A2A SDK client built on undici's `request`: the same keep-alive pool without
 * the WHATWG fetch machinery, which costs about a millisecond per call on a fast upstream (see the
 * a2a bench). Only what the SDK's transports use: a URL, method, headers, a string body, a signal;
 * the answer as a `Response` whose body streams (SSE passes through as it arrives), read no
 * further than the agent's `maxResponseBytes` per body or per event.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { GatewayError } from '../errors/index.js';
import { limitedBody, ResponseMeter } from '../mcp/upstream/response-limit.js';
import { originOf } from './interfaces.js';

/**
 * `origins` are where this agent's requests may go. The card's interfaces were checked against
 * them already; checking each request again means no path through the SDK (an interface chosen
 * later, a URL built from a task) can carry the credentials anywhere else.
 */
export function requestFetch(
  extraHeaders: Readonly<Record<string, string>>,
  origins: ReadonlySet<string>,
  limit: { upstream: string; maxResponseBytes: number } = {
    upstream: '?',
    maxResponseBytes: Number.POSITIVE_INFINITY,
  },
): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const origin = originOf(url);
    if (origin === undefined || !origins.has(origin))
      throw new Error(
        `refused to send a request to ${origin ?? 'a non-http(s) URL'}: it is neither the agent's origin ` +
          'nor in a2a.allowedOrigins',
      );
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    // Configured headers (credentials) go on every request to this agent, and only to it.
    for (const [k, v] of Object.entries(extraHeaders)) headers[k.toLowerCase()] = v;
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== 'string')
      throw new TypeError('requestFetch sends string bodies only');
    const res = await request(url, {
      method: (init?.method ?? 'GET') as 'GET',
      headers,
      body: body ?? undefined,
      signal: init?.signal ?? undefined,
    });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const item of v) out.append(k, item);
      else if (v !== undefined) out.set(k, v);
    }
    const nobody = res.statusCode === 204 || res.statusCode === 304 || init?.method === 'HEAD';
    if (nobody) res.body.resume();
    const tooLarge = () =>
      new GatewayError('SWY_UPSTREAM_RESPONSE_TOO_LARGE', {
        upstream: limit.upstream,
        method: `${init?.method ?? 'GET'} ${new URL(url).pathname}`,
        limit: limit.maxResponseBytes,
      });
    const stream = nobody
      ? null
      : limitedBody(
          Readable.toWeb(res.body) as ReadableStream<Uint8Array>,
          ResponseMeter.for(limit.maxResponseBytes, out.get('content-type')),
          tooLarge,
        );
    return new Response(stream, { status: res.statusCode, headers: out });
  };
}
