/**
 * The one body reader every front uses (MCP, A2A in both bindings, the admin API): a body over
 * the size limit is refused (413) as soon as the limit is crossed, without buffering the rest, and
 * JSON is parsed only after a byte scan has checked its nesting, so a JSON bomb never becomes an
 * object that anything downstream (schema checks, the ledger's canonical JSON) could walk.
 *
 * The listener (server.ts) reads the body before any front sees the request; each front turns
 * `RequestBody.json()`'s errors into its own binding's error shape.
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/index.js';

/** Levels the JSON envelope adds around a message's payload (JSON-RPC `params`, A2A `message`). */
export const ENVELOPE_DEPTH = 8;

export interface BodyLimits {
  maxBytes: number;
  /** Deepest nesting of objects and arrays in the payload (the envelope's levels come on top). */
  maxDepth: number;
}

export class RequestBody {
  private parsed: { value: unknown } | undefined;

  constructor(
    readonly raw: Buffer,
    private readonly maxDepth: number,
  ) {}

  get empty(): boolean {
    return this.raw.length === 0;
  }

  text(): string {
    return this.raw.toString('utf8');
  }

  /** The body as JSON. Throws SWY_TOO_DEEP (nesting) or SWY_PARSE_ERROR (syntax). */
  json(): unknown {
    if (this.parsed) return this.parsed.value;
    if (exceedsJsonDepth(this.raw, this.maxDepth + ENVELOPE_DEPTH))
      throw new GatewayError('SWY_TOO_DEEP', { limit: this.maxDepth });
    let value: unknown;
    try {
      value = JSON.parse(this.text());
    } catch (err) {
      throw new GatewayError('SWY_PARSE_ERROR', { detail: (err as Error).message });
    }
    this.parsed = { value };
    return value;
  }
}

export async function readRequestBody(req: IncomingMessage, limits: BodyLimits): Promise<RequestBody> {
  return new RequestBody(await readBody(req, limits.maxBytes), limits.maxDepth);
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // drain, so the connection can answer
    return Promise.reject(new GatewayError('SWY_BODY_TOO_LARGE', { limit }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new GatewayError('SWY_BODY_TOO_LARGE', { limit }));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Does the JSON text nest objects/arrays deeper than `limit`? One pass over the bytes, no
 * allocation: brackets inside strings do not count. Malformed text is left to JSON.parse.
 */
export function exceedsJsonDepth(raw: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}
