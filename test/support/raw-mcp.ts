/**
 * A raw Streamable HTTP client for tests that need to see the wire: response content types,
 * SSE event ids, dropped connections, Last-Event-ID.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export const ACCEPT = 'application/json, text/event-stream';

export class RawSession {
  constructor(
    readonly url: string,
    readonly id: string,
    readonly version: string,
    /** Sent with every request (e.g. Authorization). */
    readonly extra: Record<string, string> = {},
  ) {}

  static async open(
    url: string,
    version = '2025-11-25',
    capabilities: object = {},
    extra: Record<string, string> = {},
  ): Promise<RawSession> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...extra },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: version, capabilities, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    if (res.status !== 200) throw new Error(`initialize: HTTP ${res.status} ${await res.text()}`);
    const id = res.headers.get('mcp-session-id')!;
    const s = new RawSession(url, id, version, extra);
    await s.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return s;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: ACCEPT,
      'mcp-session-id': this.id,
      'mcp-protocol-version': this.version,
      ...this.extra,
      ...extra,
    };
  }

  post(body: unknown, signal?: AbortSignal): Promise<Response> {
    return fetch(this.url, { method: 'POST', headers: this.headers(), body: JSON.stringify(body), signal });
  }

  get(lastEventId?: string, signal?: AbortSignal): Promise<Response> {
    return fetch(this.url, {
      method: 'GET',
      headers: this.headers(
        lastEventId
          ? { 'last-event-id': lastEventId, accept: 'text/event-stream' }
          : { accept: 'text/event-stream' },
      ),
      signal,
    });
  }
}

/** Read SSE events from a response until `stop` returns true or the stream ends. */
export async function readEvents(
  res: Response,
  stop: (e: EventSourceMessage, all: EventSourceMessage[]) => boolean = () => false,
): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  let done = false;
  const parser = createParser({
    onEvent: (e) => {
      if (done) return;
      events.push(e);
      if (stop(e, events)) done = true;
    },
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  while (!done) {
    const { value, done: end } = await reader.read();
    if (end) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  if (done) await reader.cancel().catch(() => {});
  return events;
}

export const messages = (events: EventSourceMessage[]) =>
  events.filter((e) => e.data).map((e) => JSON.parse(e.data) as Record<string, unknown>);
