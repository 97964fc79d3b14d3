/**
 * The ledger writer: takes entries off the hot path. `append` only queues (no hashing, no I/O);
 * a batch is sealed onto the chain and written in one transaction when it fills up or after
 * `flushIntervalMs`. The queue is bounded: when the store falls that far behind, `accepting`
 * turns false and the pipeline refuses new work instead of letting calls pass unrecorded.
 * `close()` writes everything still queued (graceful stop, SIGTERM); a SIGKILL loses at most what
 * was queued since the last flush.
 */
import type { LedgerRepo } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { GENESIS, seal } from './chain.js';
import { toEntry, type EntryOptions, type LedgerInput } from './entry.js';

export interface LedgerOptions extends EntryOptions {
  batchSize: number;
  flushIntervalMs: number;
  maxQueue: number;
  checkpointEvery: number;
}

/** What the data path (any front) needs from the ledger. */
export interface LedgerSink {
  /** False while the queue is full: refuse new work. */
  readonly accepting: boolean;
  append(input: LedgerInput): boolean;
}

export class LedgerWriter implements LedgerSink {
  private queue: LedgerInput[] = [];
  private head = { seq: 0, hash: GENESIS };
  private lastCheckpoint = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Entries refused because the queue was full (also a metric). */
  dropped = 0;
  onDrop?: () => void;

  constructor(
    private readonly repo: LedgerRepo,
    private readonly opts: LedgerOptions,
    private readonly log: Logger,
  ) {}

  async open(): Promise<void> {
    this.head = (await this.repo.head()) ?? { seq: 0, hash: GENESIS };
    const cps = await this.repo.checkpoints();
    this.lastCheckpoint = cps.at(-1)?.seq ?? 0;
  }

  get accepting(): boolean {
    return this.queue.length < this.opts.maxQueue;
  }

  get pending(): number {
    return this.queue.length;
  }

  append(input: LedgerInput): boolean {
    if (this.queue.length >= this.opts.maxQueue) {
      this.dropped++;
      this.onDrop?.();
      return false;
    }
    this.queue.push(input);
    if (this.queue.length >= this.opts.batchSize) void this.flush();
    else if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.opts.flushIntervalMs);
      this.timer.unref();
    }
    return true;
  }

  /** Write what is queued; concurrent calls share one run. Failures keep entries queued. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Write everything queued and a final checkpoint. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    // An earlier flush may be running; wait for it, then write the rest.
    for (let attempt = 0; attempt < 3 && (this.queue.length > 0 || this.flushing); attempt++) {
      await this.flush();
    }
    if (this.head.seq > this.lastCheckpoint) {
      await this.repo
        .append([], { seq: this.head.seq, hash: this.head.hash, time: Date.now() })
        .then(() => (this.lastCheckpoint = this.head.seq))
        .catch((err: unknown) => this.log.error({ err }, 'writing the final ledger checkpoint failed'));
    }
    if (this.queue.length > 0)
      this.log.error({ lost: this.queue.length }, 'ledger entries could not be written before stop');
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.opts.batchSize);
      const rows = seal(
        this.head,
        batch.map((input) => ({ time: input.time, entry: toEntry(input, this.opts) })),
      );
      const last = rows.at(-1)!;
      const every = this.opts.checkpointEvery;
      const checkpoint =
        every > 0 && Math.floor(last.seq / every) > Math.floor(this.lastCheckpoint / every)
          ? { seq: last.seq, hash: last.hash, time: Date.now() }
          : undefined;
      try {
        await this.repo.append(rows, checkpoint);
      } catch (err) {
        this.log.error({ err, queued: this.queue.length }, 'writing the ledger failed; will retry');
        if (!this.closed && !this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.flush();
          }, this.opts.flushIntervalMs);
          this.timer.unref();
        }
        return;
      }
      this.queue.splice(0, batch.length);
      this.head = { seq: last.seq, hash: last.hash };
      if (checkpoint) this.lastCheckpoint = checkpoint.seq;
    }
  }
}
