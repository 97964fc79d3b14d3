/**
 * The ledger writer: takes entries off the hot path. `append` only queues (no hashing, no I/O);
 * a batch is sealed onto the chain and written in one transaction when it fills up or after
 * `flushIntervalMs`. The queue is bounded: when the store falls that far behind, `accepting`
 * turns false and the pipeline refuses new work instead of letting calls pass unrecorded.
 * `close()` writes everything still queued (graceful stop, SIGTERM); a SIGKILL loses at most what
 * was queued since the last flush.
 *
 * Checkpoints are signed with the anchor's key, and each one, once committed, is copied to the
 * head file (anchor.ts). `open()` refuses to continue a ledger that no longer holds what they
 * name (SWY_LEDGER_TAMPERED); `acknowledge()` records that on the chain and re-seals.
 */
import { GatewayError } from '../errors/index.js';
import type { LedgerCheckpoint, LedgerRepo, LedgerRow } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { NO_ANCHOR, type LedgerAnchor } from './anchor.js';
import { GENESIS, seal } from './chain.js';
import { toEntry, unbuildableEntry, type EntryOptions, type LedgerInput } from './entry.js';
import { writeHead } from './head-file.js';
import { signCheckpoint } from './signature.js';
import { inspectLedger, type Finding, type LedgerState } from './verify.js';

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
  /** The latest checkpoint that may go to the head file, and whether it went there this run. */
  private sealed: LedgerCheckpoint | undefined;
  private headWritten = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private opened = false;
  private closed = false;
  /** Entries refused because the queue was full (also a metric). */
  dropped = 0;
  onDrop?: () => void;

  constructor(
    private readonly repo: LedgerRepo,
    private readonly opts: LedgerOptions,
    private readonly log: Logger,
    private readonly anchor: LedgerAnchor = NO_ANCHOR,
  ) {}

  /** Continue the chain; refuses (SWY_LEDGER_TAMPERED) when it was cut or a checkpoint forged. */
  async open(): Promise<void> {
    const state = await inspectLedger(this.repo, this.anchor);
    if (state.findings.length > 0) {
      throw new GatewayError('SWY_LEDGER_TAMPERED', {
        detail: state.findings.map((f) => f.detail).join('; '),
      });
    }
    this.adopt(state);
  }

  /**
   * `switchyard audit acknowledge`: record what `open()` would refuse as an alert entry (the
   * missing range, the checkpoints that no longer hold, which are deleted in the same
   * transaction), then sign a checkpoint and re-seal the head file after it. Returns the
   * findings; none means nothing was written. The writer is closed afterwards.
   */
  async acknowledge(by: string, reason?: string): Promise<Finding[]> {
    const state = await inspectLedger(this.repo, this.anchor);
    this.closed = true;
    if (state.findings.length === 0) return [];
    this.adopt(state);
    const row = this.sealOne(this.head, {
      kind: 'alert',
      time: Date.now(),
      front: 'admin',
      method: 'audit acknowledge',
      principal: by,
      alert: 'ledger_tampering_acknowledged',
      detail: {
        ...(reason ? { reason } : {}),
        findings: state.findings,
        droppedCheckpoints: state.stale.map((c) => ({
          seq: c.seq,
          hash: c.hash,
          time: c.time,
          signed: c.signature !== undefined,
        })),
        ...(state.headRecord ? { headFile: { seq: state.headRecord.seq, hash: state.headRecord.hash } } : {}),
        databaseHead: state.head,
      },
    });
    const checkpoint = this.checkpointAt(row);
    await this.repo.append(
      [row],
      checkpoint,
      state.stale.map((c) => c.seq),
    );
    this.head = { seq: row.seq, hash: row.hash };
    this.lastCheckpoint = checkpoint.seq;
    this.sealed = checkpoint;
    // Unlike during operation, a head file that cannot be written fails the acknowledgement.
    if (this.anchor.headFile) await writeHead(this.anchor.headFile, checkpoint);
    return state.findings;
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
    if (this.queue.length >= this.opts.batchSize) this.flushInBackground();
    else if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushInBackground();
      }, this.opts.flushIntervalMs);
      this.timer.unref();
    }
    return true;
  }

  /** A flush nobody waits for (flush() logs its own failures and never rejects). */
  private flushInBackground(): void {
    this.flush().catch(() => {});
  }

  /**
   * Write what is queued; concurrent calls share one run. Failures keep entries queued and are
   * logged: the promise never rejects.
   */
  flush(): Promise<void> {
    this.flushing ??= this.drain()
      .catch((err: unknown) => this.log.error({ err }, 'writing the ledger failed'))
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Write everything queued and a final checkpoint, then the head file. */
  async close(): Promise<void> {
    if (!this.opened || this.closed) {
      this.closed = true;
      return;
    }
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    // An earlier flush may be running; wait for it, then write the rest.
    for (let attempt = 0; attempt < 3 && (this.queue.length > 0 || this.flushing); attempt++) {
      await this.flush();
    }
    if (this.head.seq > this.lastCheckpoint) {
      const checkpoint = this.checkpointAt(this.head);
      await this.repo
        .append([], checkpoint)
        .then(() => this.committed(checkpoint))
        .catch((err: unknown) => this.log.error({ err }, 'writing the final ledger checkpoint failed'));
    } else if (!this.headWritten && this.sealed) {
      await this.writeHeadFile(this.sealed);
    }
    if (this.queue.length > 0)
      this.log.error({ lost: this.queue.length }, 'ledger entries could not be written before stop');
  }

  private adopt(state: LedgerState): void {
    this.head = state.head;
    const stale = new Set(state.stale);
    this.lastCheckpoint = state.checkpoints.filter((c) => !stale.has(c)).at(-1)?.seq ?? 0;
    this.sealed = state.sealed;
    this.opened = true;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.opts.batchSize);
      const rows: LedgerRow[] = [];
      let head = this.head;
      for (const input of batch) {
        const row = this.sealOne(head, input);
        rows.push(row);
        head = row;
      }
      const last = rows.at(-1)!;
      const every = this.opts.checkpointEvery;
      const checkpoint =
        every > 0 && Math.floor(last.seq / every) > Math.floor(this.lastCheckpoint / every)
          ? this.checkpointAt(last)
          : undefined;
      try {
        await this.repo.append(rows, checkpoint);
      } catch (err) {
        this.log.error({ err, queued: this.queue.length }, 'writing the ledger failed; will retry');
        if (!this.closed && !this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.flushInBackground();
          }, this.opts.flushIntervalMs);
          this.timer.unref();
        }
        return;
      }
      this.queue.splice(0, batch.length);
      this.head = { seq: last.seq, hash: last.hash };
      if (checkpoint) await this.committed(checkpoint);
    }
  }

  /**
   * One entry onto the chain. An entry that cannot be built (arguments that cannot be serialised)
   * is recorded without them, with the reason — never dropped, never thrown out of the flush.
   */
  private sealOne(head: { seq: number; hash: string }, input: LedgerInput): LedgerRow {
    try {
      return seal(head, [{ time: input.time, entry: toEntry(input, this.opts) }])[0]!;
    } catch (err) {
      const reason = describe(err);
      this.log.error({ reason, method: input.method }, 'ledger entry recorded without its arguments');
      const entry = unbuildableEntry(input, reason);
      return seal(head, [{ time: entry.time as number, entry }])[0]!;
    }
  }

  private checkpointAt(at: { seq: number; hash: string }): LedgerCheckpoint {
    const checkpoint: LedgerCheckpoint = { seq: at.seq, hash: at.hash, time: Date.now() };
    if (this.anchor.key) checkpoint.signature = signCheckpoint(this.anchor.key, checkpoint);
    return checkpoint;
  }

  /** After the checkpoint's transaction committed (never before: see head-file.ts). */
  private async committed(checkpoint: LedgerCheckpoint): Promise<void> {
    this.lastCheckpoint = checkpoint.seq;
    this.sealed = checkpoint;
    await this.writeHeadFile(checkpoint);
  }

  private async writeHeadFile(checkpoint: LedgerCheckpoint): Promise<void> {
    if (!this.anchor.headFile) return;
    try {
      await writeHead(this.anchor.headFile, checkpoint);
      this.headWritten = true;
    } catch (err) {
      this.headWritten = false;
      this.log.error({ err, file: this.anchor.headFile }, 'writing the ledger head file failed');
    }
  }
}

/** The error's class and message, short (it is stored in the ledger). */
function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
