/**
 * Server-Sent Event streams to downstream clients, and the event log that makes them resumable.
 *
 * MCP 2025-11-25 §Resumability and Redelivery: each event carries an id that is a cursor within
 * its stream; a client that lost the connection sends GET with Last-Event-ID and receives what it
 * missed. Our ids are `<streamId>_<seq>`, so the stream is found from the id alone (on any
 * replica, since the log lives in the store). Events are written to the store in small batches off
 * the request path; a replay first flushes what is pending.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../telemetry/logger.js';
import type { EventRepo, StoredEvent } from '../../store/types.js';

/** Protocol versions from which clients understand a priming event with empty data. */
export const PRIMING_SINCE = '2025-11-25';
/** Events kept in memory per live stream for replays on this replica (the store has them all). */
const MEMORY_EVENTS = 256;

export function parseEventId(id: string): { streamId: string; seq: number } | undefined {
  const i = id.lastIndexOf('_');
  if (i <= 0) return undefined;
  const seq = Number(id.slice(i + 1));
  return Number.isInteger(seq) && seq >= 0 ? { streamId: id.slice(0, i), seq } : undefined;
}

export class EventLog {
  private pending: StoredEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: EventRepo,
    private readonly log: Logger,
    private readonly batchMs = 5,
  ) {}

  append(e: StoredEvent): void {
    this.pending.push(e);
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.batchMs);
  }

  /** Write everything appended so far; resolves once it is in the store. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      this.flushing = this.flushing
        .then(() => this.repo.append(batch))
        .catch((err: unknown) => this.log.error({ err, events: batch.length }, 'writing SSE events failed'));
    }
    return this.flushing;
  }

  async sessionOf(streamId: string): Promise<string | undefined> {
    await this.flush();
    return this.repo.sessionOf(streamId);
  }

  async after(streamId: string, seq: number): Promise<StoredEvent[]> {
    await this.flush();
    return this.repo.after(streamId, seq);
  }
}

export interface StreamOptions {
  sessionId: string;
  /** Log events so that a client can resume the stream with Last-Event-ID. */
  resumable: boolean;
  /** Send the priming event (clients of MCP 2025-11-25 and later understand its empty data). */
  priming: boolean;
  retryMs: number;
  log?: EventLog;
}

/**
 * One SSE stream (a POST's response stream or the standalone GET stream). It outlives its HTTP
 * connection when resumable: events written while no client is attached go to the log only.
 */
export class SseStream {
  readonly id = randomBytes(9).toString('base64url');
  private seq = 0;
  private sink: ServerResponse | undefined;
  private readonly recent: { seq: number; text: string }[] = [];
  ended = false;
  lastWrite = Date.now();
  /** True once the client has received an event id, i.e. it could resume this stream. */
  cursorGiven = false;
  /** Called when the attached connection goes away (before the stream ended). */
  ondetach?: () => void;

  constructor(private readonly opts: StreamOptions) {}

  get attached(): boolean {
    return this.sink !== undefined;
  }

  get resumable(): boolean {
    return this.opts.resumable;
  }

  get sessionId(): string {
    return this.opts.sessionId;
  }

  /** Take over an HTTP response: write SSE headers and, for resumable streams, the priming event. */
  open(res: ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    res.flushHeaders();
    this.attach(res);
    if (this.opts.resumable && this.opts.priming) {
      // Priming event (MCP 2025-11-25): gives the client a cursor before any message exists.
      res.write(`id: ${this.id}_0\nretry: ${this.opts.retryMs}\ndata: \n\n`);
      this.cursorGiven = true;
    }
  }

  attach(res: ServerResponse): void {
    this.sink = res;
    res.once('close', () => {
      if (this.sink !== res) return;
      this.sink = undefined;
      if (!this.ended) this.ondetach?.();
    });
  }

  /** Replay what came after `seq` from memory if this replica still has it; returns false if not. */
  replayFromMemory(afterSeq: number): boolean {
    const oldest = this.recent[0]?.seq ?? this.seq + 1;
    if (afterSeq + 1 < oldest && afterSeq < this.seq) return false;
    for (const e of this.recent) if (e.seq > afterSeq) this.sink?.write(e.text);
    return true;
  }

  write(json: string): void {
    const seq = ++this.seq;
    const text = this.opts.resumable
      ? `id: ${this.id}_${seq}\nevent: message\ndata: ${json}\n\n`
      : `event: message\ndata: ${json}\n\n`;
    if (this.opts.resumable) {
      this.opts.log?.append({
        sessionId: this.opts.sessionId,
        streamId: this.id,
        seq,
        message: json,
        createdAt: Date.now(),
      });
      this.recent.push({ seq, text });
      if (this.recent.length > MEMORY_EVENTS) this.recent.shift();
    }
    this.lastWrite = Date.now();
    if (this.sink) {
      this.sink.write(text);
      if (this.opts.resumable) this.cursorGiven = true;
    }
  }

  keepAlive(): void {
    this.sink?.write(': keep-alive\n\n');
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.sink?.end();
    this.sink = undefined;
  }

  /** Drop the connection without ending the stream (a resumable client may come back). */
  detach(): void {
    const s = this.sink;
    this.sink = undefined;
    s?.end();
  }
}

/** Writes stored events (replay from the log, e.g. on another replica or after a restart). */
export function writeStored(res: ServerResponse, events: readonly StoredEvent[]): void {
  for (const e of events) res.write(`id: ${e.streamId}_${e.seq}\nevent: message\ndata: ${e.message}\n\n`);
}
