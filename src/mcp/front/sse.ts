/**
 * Server-Sent Event streams to downstream clients, and the event log that makes them resumable.
 *
 * MCP 2025-11-25 §Resumability and Redelivery: each event carries an id that is a cursor within
 * its stream; a client that lost the connection sends GET with Last-Event-ID and receives what it
 * missed. Our ids are `<streamId>_<seq>`, so the stream is found from the id alone (on any
 * replica, since the log lives in the store). Events are written to the store in small batches off
 * the request path; a replay first flushes what is pending.
 *
 * Writing to a client never waits for it, so a client that stops reading would make the gateway
 * buffer its events without end. A connection that still has more than `maxBufferBytes` waiting
 * unsent when new events come is dropped instead: the events are in the log, and the client
 * resumes from its last event id.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../telemetry/logger.js';
import type { EventRepo, StoredEvent } from '../../store/types.js';

/** Protocol versions from which clients understand a priming event with empty data. */
export const PRIMING_SINCE = '2025-11-25';
/**
 * Events kept in memory per live stream for replays on this replica (the store has them all); at
 * most this many, and no more than `maxBufferBytes` of them.
 */
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
    // flush() logs a failed write and never rejects.
    if (!this.timer) this.timer = setTimeout(() => this.flush().catch(() => {}), this.batchMs);
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
  /** Most bytes that may wait unsent on the connection; beyond it the client is dropped. */
  maxBufferBytes?: number;
  /** A connection was dropped because its client stopped reading (`buffered` bytes were waiting). */
  onOverflow?: (stream: SseStream, buffered: number) => void;
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
  private recentLength = 0;
  /** What waited unsent on the connection when the current turn of the event loop began writing. */
  private waitingBefore: number | undefined;
  /** The least that has waited unsent since the connection was attached or last given a replay. */
  private lowWater = 0;
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
      this.send(`id: ${this.id}_0\nretry: ${this.opts.retryMs}\ndata: \n\n`);
      this.cursorGiven = true;
    }
  }

  attach(res: ServerResponse): void {
    this.sink = res;
    this.waitingBefore = undefined;
    this.lowWater = 0;
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
    for (const e of this.recent) if (e.seq > afterSeq && this.sink) this.send(e.text);
    this.replayed();
    return true;
  }

  /** Replay events read back from the log to the attached connection. */
  replayStored(events: readonly StoredEvent[]): void {
    for (const e of events) if (this.sink) this.send(storedText(e));
    this.replayed();
  }

  /** A replay is the client's to take: the limit applies to what piles up beyond it. */
  private replayed(): void {
    if (this.sink) this.lowWater = this.sink.writableLength;
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
      this.recentLength += text.length;
      const max = this.opts.maxBufferBytes ?? Number.POSITIVE_INFINITY;
      while (this.recent.length > MEMORY_EVENTS || (this.recentLength > max && this.recent.length > 1))
        this.recentLength -= this.recent.shift()!.text.length;
    }
    this.lastWrite = Date.now();
    if (this.sink) {
      this.send(text);
      if (this.opts.resumable && this.sink) this.cursorGiven = true;
    }
  }

  keepAlive(): void {
    this.send(': keep-alive\n\n');
  }

  /**
   * Write to the attached connection, unless the client has stopped reading: more than
   * `maxBufferBytes` were still waiting unsent when this turn of the event loop began writing
   * (beyond a replay it was given, which it takes first). Then the connection is dropped (its
   * buffer with it) and the stream lives on in the log, as when a client disconnects. What this
   * turn writes itself (one read from an upstream, one replay) does not count, so one large event
   * cannot trip it, and a slow client that resumes gets its whole replay.
   */
  private send(text: string): void {
    const res = this.sink;
    if (!res) return;
    const max = this.opts.maxBufferBytes;
    if (max !== undefined) {
      if (this.waitingBefore === undefined) {
        this.waitingBefore = res.writableLength;
        this.lowWater = Math.min(this.lowWater, this.waitingBefore);
        queueMicrotask(() => (this.waitingBefore = undefined));
      }
      if (this.waitingBefore - this.lowWater > max) return this.overflow(res);
    }
    res.write(text);
  }

  private overflow(res: ServerResponse): void {
    const buffered = res.writableLength;
    this.sink = undefined;
    res.destroy();
    this.opts.onOverflow?.(this, buffered);
    if (!this.ended) this.ondetach?.();
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
  for (const e of events) res.write(storedText(e));
}

function storedText(e: StoredEvent): string {
  return `id: ${e.streamId}_${e.seq}\nevent: message\ndata: ${e.message}\n\n`;
}
