/**
 * How much an upstream may send in one message (`maxResponseBytes`): a whole response body, or
 * one event of an SSE stream (a stream may run for hours; each event is one message). Bytes are
 * counted as they arrive, so nothing beyond the limit is ever held: the reader stops there.
 * Used for every upstream connection that reads HTTP: MCP over Streamable HTTP and SSE, A2A.
 */

const LF = 10;
const CR = 13;
/** The two-byte line-end pairs that end an SSE event (see `eventEnd`). */
const PAIRS = ['\n\n', '\r\r', '\n\r'].map((p) => Buffer.from(p));

/** Counts the bytes of one body, or of each SSE event of a stream. */
export class ResponseMeter {
  private pending = 0;
  private last = -1;

  constructor(
    readonly limit: number,
    private readonly sse: boolean,
  ) {}

  /** For a response with this content type. */
  static for(limit: number, contentType: string | null | undefined): ResponseMeter {
    return new ResponseMeter(limit, (contentType ?? '').toLowerCase().includes('text/event-stream'));
  }

  /** Count a chunk; false once the body, or any SSE event in it, is larger than the limit. */
  add(chunk: Uint8Array): boolean {
    if (!this.sse) {
      this.pending += chunk.byteLength;
      return this.pending <= this.limit;
    }
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Each event that ends in this chunk, whole or begun in an earlier one, then the one left open.
    let start = 0;
    for (const end of eventEnds(buf, this.last)) {
      if (this.pending + (end - start) > this.limit) return false;
      this.pending = 0;
      start = end;
    }
    this.pending += buf.byteLength - start;
    if (buf.byteLength > 0) this.last = buf[buf.byteLength - 1]!;
    return this.pending <= this.limit;
  }
}

/**
 * Where each SSE event that ends in `buf` ends (the index after its blank line), in order. An event
 * ends at an empty line, i.e. two line ends in a row where CR LF counts as one: LF LF, CR CR or
 * LF CR (which also finds CR LF CR LF). `prev` is the byte before the chunk (-1: none). Each
 * pattern is searched for again only once passed, so a chunk of many events is read once.
 */
export function eventEnds(buf: Buffer, prev: number): number[] {
  const ends: number[] = [];
  let from = 0;
  const first = buf[0];
  if ((first === LF || first === CR) && (prev === LF || (prev === CR && first === CR))) ends.push((from = 1));
  const next = PAIRS.map((pair) => buf.indexOf(pair, from));
  for (;;) {
    let at = -1;
    for (let i = 0; i < next.length; i++) {
      if (next[i]! >= 0 && next[i]! < from) next[i] = buf.indexOf(PAIRS[i]!, from);
      if (next[i]! >= 0 && (at < 0 || next[i]! < at)) at = next[i]!;
    }
    if (at < 0) return ends;
    // CR LF CR LF: the event ends after the last LF (when it is in this chunk).
    from = buf[at] === LF && buf[at + 1] === CR && buf[at + 2] === LF ? at + 3 : at + 2;
    ends.push(from);
  }
}

/**
 * The body, read no further than the meter allows: past the limit it fails with `tooLarge()` and
 * the source is cancelled (the connection is dropped instead of read).
 */
export function limitedBody(
  body: ReadableStream<Uint8Array>,
  meter: ResponseMeter,
  tooLarge: () => Error,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      if (meter.add(value)) return controller.enqueue(value);
      const err = tooLarge();
      controller.error(err);
      await reader.cancel(err).catch(() => {});
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** The response with its body limited (statuses without a body are returned as they are). */
export function limitedResponse(res: Response, limit: number, tooLarge: () => Error): Response {
  if (!res.body) return res;
  const meter = ResponseMeter.for(limit, res.headers.get('content-type'));
  const out = new Response(limitedBody(res.body, meter, tooLarge), {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  // Redirect handling (the MCP SDK's) reads the final URL.
  Object.defineProperty(out, 'url', { value: res.url });
  return out;
}

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** A fetch whose responses are limited; `tooLarge` builds the error (and may note that it happened). */
export function limitedFetch(base: Fetch, limit: number, tooLarge: () => Error): Fetch {
  return async (url, init) => limitedResponse(await base(url, init), limit, tooLarge);
}
