/**
 * The life of one upstream, MCP server or A2A agent alike: its state, its start attempts, restarts
 * with exponential backoff and jitter, and stop. What an attempt does (spawn a process and shake
 * hands, fetch an Agent Card) belongs to the upstream; when one is made, and the state it leaves,
 * is decided here, so the two kinds of upstream cannot drift apart.
 *
 *   starting ──► ready ◄──► restarting        (any) ──► stopped, for good
 *       └──────────────────────►┘
 *
 * Attempts run one at a time. A failed attempt, or a lost connection, schedules the next one after
 * `initialDelayMs · 2^n` (at most `maxDelayMs`), spread by ±20%. `n` counts failures since the last
 * run that stayed up `stableAfterMs`.
 */
import type { Logger } from '../../telemetry/logger.js';
import type { UpstreamState } from './backend.js';

export interface RestartPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * How an attempt ended without failing: `up`, or `superseded` when it was lost or stopped meanwhile
 * (whoever did that has taken care of what comes next). A failed attempt throws its reason.
 */
export type AttemptOutcome = 'up' | 'superseded';

export interface SupervisorOptions {
  readonly restart: RestartPolicy;
  /** A run that stayed up this long (from the start of its attempt) resets the backoff when it ends. */
  readonly stableAfterMs: number;
  /** After an attempt succeeds, make another this much later (re-reading an Agent Card); 0: never. */
  readonly refreshMs?: number;
  /** One start attempt. Its signal is aborted when the upstream is stopped or lost meanwhile. */
  attempt(signal: AbortSignal): Promise<AttemptOutcome>;
  /** The state changed, or an attempt failed (`lastError` is new). Not called by `stop()`. */
  changed(): void;
  readonly log: Logger;
  /** A number in [0, 1): the source of jitter. */
  readonly random?: () => number;
}

/** Delays are spread by this fraction either way, so upstreams that failed together retry apart. */
const JITTER = 0.2;

/** The delay before restart number `failures + 1`. */
export function backoffDelay(policy: RestartPolicy, failures: number, random: () => number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** failures);
  return Math.round(base * (1 - JITTER + random() * 2 * JITTER));
}

/** Wait until nothing is in flight, or `graceMs` has passed. */
export async function drain(inFlight: () => number, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

export class Supervisor {
  /** Settles once the first attempt has ended, successfully or not, or on stop. */
  readonly firstAttempt: Promise<void>;
  private resolveFirst!: () => void;
  private current: UpstreamState = 'starting';
  private error: string | undefined;
  /** Failures since the last stable run: the exponent of the next delay. */
  private failures = 0;
  /** When the attempt that brought the upstream up began. */
  private upSince = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The attempt under way. */
  private running: AbortController | undefined;
  /** The end of the attempts queued so far. */
  private queue: Promise<void> = Promise.resolve();
  private readonly random: () => number;

  constructor(private readonly opts: SupervisorOptions) {
    this.random = opts.random ?? Math.random;
    this.firstAttempt = new Promise((r) => (this.resolveFirst = r));
  }

  get state(): UpstreamState {
    return this.current;
  }

  /** Why the upstream is not up (the last failure or loss); undefined once it is. */
  get lastError(): string | undefined {
    return this.error;
  }

  get stopped(): boolean {
    return this.current === 'stopped';
  }

  /** Make the first attempt. Never rejects: a failing upstream is retried in the background. */
  start(): Promise<void> {
    this.attemptNow();
    return this.firstAttempt;
  }

  /** Make an attempt once the one under way (if any) has ended, instead of any scheduled one. */
  attemptNow(): void {
    if (this.stopped) return;
    this.cancelTimer();
    this.queue = this.queue
      .then(() => this.run())
      .catch((err: unknown) => this.opts.log.error({ err }, 'an upstream start attempt failed unexpectedly'));
  }

  /** The running upstream went away: restart it after the backoff. */
  lost(reason: string): void {
    if (this.stopped) return;
    this.running?.abort(new Error(reason));
    this.failed(reason);
  }

  /**
   * Stop for good: no attempt is made after this and the one under way is aborted. The owner
   * drains, closes and reports the stop itself. False when it was stopped already.
   */
  stop(): boolean {
    if (this.stopped) return false;
    this.current = 'stopped';
    this.cancelTimer();
    this.running?.abort(new Error('upstream stopped'));
    this.resolveFirst();
    return true;
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    const running = (this.running = new AbortController());
    const began = Date.now();
    try {
      const outcome = await this.opts.attempt(running.signal);
      if (outcome === 'superseded' || running.signal.aborted) return;
      this.upSince = began;
      this.error = undefined;
      const refresh = this.opts.refreshMs ?? 0;
      if (refresh > 0) this.schedule(refresh);
      if (this.current !== 'ready') {
        this.current = 'ready';
        this.opts.changed();
      }
    } catch (err) {
      // Stopped or lost meanwhile: that has been dealt with.
      if (!running.signal.aborted) this.failed(err instanceof Error ? err.message : String(err));
    } finally {
      if (this.running === running) this.running = undefined;
      this.resolveFirst();
    }
  }

  private failed(reason: string): void {
    if (this.current === 'ready' && Date.now() - this.upSince >= this.opts.stableAfterMs) this.failures = 0;
    this.error = reason;
    this.current = 'restarting';
    const delay = backoffDelay(this.opts.restart, this.failures++, this.random);
    this.schedule(delay);
    this.opts.log.info({ delayMs: delay, attempt: this.failures }, 'restart scheduled');
    this.opts.changed();
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attemptNow();
    }, ms);
    this.timer.unref();
  }

  private cancelTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
