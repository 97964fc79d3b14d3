/**
 * How much an upstream may send in one message (`maxResponseBytes`): a whole response body, or
 * one event of an SSE stream (a stream may run for hours; each event is one message). Bytes are
 * counted as they arrive, so nothing beyond the limit is ever held: the reader stops there.
 * Used for every upstream connection that reads HTTP: MCP over Streamable HTTP and SSE, A2A.
 */

const LF = 10;
const CR = 13;

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

  /** Count a chunk; false once the body, or the SSE event being read, is larger than the limit. */
  add(chunk: Uint8Array): boolean {
    if (!this.sse) {
      this.pending += chunk.byteLength;
      return this.pending <= this.limit;
    }
    const end = eventEnd(this.last, chunk);
    this.pending = end < 0 ? this.pending + chunk.byteLength : chunk.byteLength - end;
    if (chunk.byteLength > 0) this.last = chunk[chunk.byteLength - 1]!;
    return this.pending <= this.limit;
  }
}

/**
 * Where the last SSE event boundary in `chunk` ends (the index after it), or -1. An event ends at
 * an empty line, i.e. two line ends in a row where CR LF counts as one: LF LF, CR CR or LF CR
 * (which also finds CR LF CR LF). `prev` is the byte before the chunk (-1 at the start).
 */
function eventEnd(prev: number, chunk: Uint8Array): number {
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const at = Math.max(buf.lastIndexOf('\n\n'), buf.lastIndexOf('\r\r'), buf.lastIndexOf('\n\r'));
  if (at >= 0) return at + 2;
  const first = buf[0];
  if (first === LF || first === CR) {
    if (prev === LF || (prev === CR && first === CR)) return 1;
  }
  return -1;
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
