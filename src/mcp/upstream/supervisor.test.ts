import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../telemetry/logger.js';
import type { UpstreamState } from './backend.js';
import {
  backoffDelay,
  drain,
  Supervisor,
  type AttemptOutcome,
  type SupervisorOptions,
} from './supervisor.js';

/** One attempt the test settles by hand. */
interface Attempt {
  signal: AbortSignal;
  up(): Promise<void>;
  fail(reason: string): Promise<void>;
  superseded(): Promise<void>;
}

/** A supervisor whose attempts wait for the test; `changes` is the state at each `changed()`. */
function supervised(opts: Partial<SupervisorOptions> = {}) {
  const attempts: Attempt[] = [];
  const changes: UpstreamState[] = [];
  const sup: Supervisor = new Supervisor({
    restart: { initialDelayMs: 100, maxDelayMs: 1_000 },
    stableAfterMs: 10_000,
    random: () => 0.5,
    attempt: (signal) =>
      new Promise<AttemptOutcome>((resolve, reject) => {
        // Settling flushes the microtasks that follow, so the supervisor has reacted on return.
        const settle = async (fn: () => void) => {
          fn();
          await vi.advanceTimersByTimeAsync(0);
        };
        attempts.push({
          signal,
          up: () => settle(() => resolve('up')),
          fail: (reason) => settle(() => reject(new Error(reason))),
          superseded: () => settle(() => resolve('superseded')),
        });
      }),
    changed: () => changes.push(sup.state),
    log: silentLogger(),
    ...opts,
  });
  return { sup, attempts, changes };
}

const unexpected = (err: unknown) => expect.fail(`rejected: ${String(err)}`);

/** Start without waiting for the first attempt to end. */
function begin(sup: Supervisor, firstEnded: () => void = () => undefined): void {
  sup.start().then(firstEnded, unexpected);
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('backoffDelay', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles from initialDelayMs up to maxDelayMs', () => {
    const middle = () => 0.5; // no jitter either way
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(policy, n, middle))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('spreads each delay by up to 20% either way', () => {
    expect(backoffDelay(policy, 0, () => 0)).toBe(80);
    expect(backoffDelay(policy, 0, () => 0.999_999)).toBe(120);
    expect(backoffDelay(policy, 10, () => 0)).toBe(800);
    expect(backoffDelay(policy, 10, () => 0.999_999)).toBe(1_200);
  });
});

describe('Supervisor', () => {
  it('starts, and reports ready once the first attempt is up', async () => {
    const { sup, attempts, changes } = supervised();
    let first = false;
    begin(sup, () => (first = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(sup.state).toBe('starting');
    expect(attempts).toHaveLength(1);
    await attempts[0]!.up();
    expect(sup.state).toBe('ready');
    expect(sup.lastError).toBeUndefined();
    expect(changes).toEqual(['ready']);
    expect(first).toBe(true);
  });

  it('restarts a failed attempt after the backoff, with jitter applied', async () => {
    const { sup, attempts, changes } = supervised({ random: () => 0 });
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    await attempts[0]!.fail('refused');
    expect(sup.state).toBe('restarting');
    expect(sup.lastError).toBe('refused');
    expect(changes).toEqual(['restarting']);
    // 100 ms less 20%: the jittered delay, not the base one.
    await vi.advanceTimersByTimeAsync(79);
    expect(attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toHaveLength(2);
    await attempts[1]!.up();
    expect(sup.state).toBe('ready');
    expect(sup.lastError).toBeUndefined();
    expect(changes).toEqual(['restarting', 'ready']);
  });

  it('draws the jitter from its random source for each restart', async () => {
    const random = vi.fn(() => 0.999_999);
    const { sup, attempts } = supervised({ random });
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    await attempts[0]!.fail('refused');
    expect(random).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(119);
    expect(attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toHaveLength(2);
  });

  it('doubles the delay with each failure and reports every one', async () => {
    const { sup, attempts, changes } = supervised();
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    for (const [i, delay] of [100, 200, 400, 800, 1_000].entries()) {
      await attempts[i]!.fail(`failure ${i}`);
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(attempts).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(attempts).toHaveLength(i + 2);
    }
    expect(changes).toHaveLength(5);
    expect(sup.lastError).toBe('failure 4');
  });

  it('does not restart when stopped while a restart is pending', async () => {
    const { sup, attempts, changes } = supervised();
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    await attempts[0]!.fail('refused');
    expect(vi.getTimerCount()).toBe(1);
    expect(sup.stop()).toBe(true);
    expect(sup.state).toBe('stopped');
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(attempts).toHaveLength(1);
    expect(changes).toEqual(['restarting']); // the owner reports its own stop
    expect(sup.stop()).toBe(false);
  });

  it('aborts the attempt under way on stop and ignores how it ends', async () => {
    const { sup, attempts, changes } = supervised();
    let first = false;
    begin(sup, () => (first = true));
    await vi.advanceTimersByTimeAsync(0);
    sup.stop();
    expect(attempts[0]!.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(first).toBe(true);
    await attempts[0]!.fail('aborted');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sup.state).toBe('stopped');
    expect(attempts).toHaveLength(1);
    expect(changes).toEqual([]);
  });

  it('makes no attempt after stop, even when asked', async () => {
    const { sup, attempts } = supervised();
    sup.stop();
    begin(sup);
    sup.attemptNow();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(attempts).toHaveLength(0);
  });

  it('restarts a lost upstream, continuing the backoff when it was not up for long', async () => {
    const { sup, attempts, changes } = supervised();
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    await attempts[0]!.fail('refused');
    await vi.advanceTimersByTimeAsync(100);
    await attempts[1]!.up();
    await vi.advanceTimersByTimeAsync(5_000);
    sup.lost('the process exited');
    expect(sup.state).toBe('restarting');
    expect(sup.lastError).toBe('the process exited');
    expect(changes).toEqual(['restarting', 'ready', 'restarting']);
    await vi.advanceTimersByTimeAsync(199);
    expect(attempts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toHaveLength(3);
  });

  it('starts the backoff afresh when a lost upstream had been up for stableAfterMs', async () => {
    const { sup, attempts } = supervised();
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    await attempts[0]!.fail('refused');
    await vi.advanceTimersByTimeAsync(100);
    await attempts[1]!.up();
    await vi.advanceTimersByTimeAsync(10_000);
    sup.lost('health check failed 2 times');
    await vi.advanceTimersByTimeAsync(99);
    expect(attempts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toHaveLength(3);
  });

  it('supersedes an attempt during which the upstream was lost', async () => {
    const { sup, attempts, changes } = supervised();
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    sup.lost('the connection closed');
    expect(attempts[0]!.signal.aborted).toBe(true);
    // However the aborted attempt ends, only the restart lost() scheduled follows.
    await attempts[0]!.fail('the connection closed');
    expect(changes).toEqual(['restarting']);
    await vi.advanceTimersByTimeAsync(100);
    expect(attempts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(attempts).toHaveLength(2);
  });

  it('ignores lost() once stopped', async () => {
    const { sup, attempts, changes } = supervised();
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    await attempts[0]!.up();
    sup.stop();
    sup.lost('the process exited');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sup.state).toBe('stopped');
    expect(attempts).toHaveLength(1);
    expect(changes).toEqual(['ready']);
  });

  it('refreshes every refreshMs while up, reporting only changes', async () => {
    const { sup, attempts, changes } = supervised({ refreshMs: 1_000, stableAfterMs: 0 });
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    await attempts[0]!.up();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(attempts).toHaveLength(2);
    await attempts[1]!.up();
    expect(changes).toEqual(['ready']);
    await vi.advanceTimersByTimeAsync(1_000);
    await attempts[2]!.fail('the card is not signed');
    expect(changes).toEqual(['ready', 'restarting']);
    // Up until now: the backoff starts afresh.
    await vi.advanceTimersByTimeAsync(100);
    expect(attempts).toHaveLength(4);
  });

  it('runs attempts one at a time; attemptNow replaces a scheduled one', async () => {
    const { sup, attempts } = supervised({ refreshMs: 1_000 });
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    sup.attemptNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts).toHaveLength(1);
    await attempts[0]!.up();
    expect(attempts).toHaveLength(2);
    await attempts[1]!.up();
    // The refresh scheduled after the first attempt was replaced by the second's.
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(attempts).toHaveLength(3);
  });

  it('treats a superseded attempt as neither up nor failed', async () => {
    const { sup, attempts, changes } = supervised();
    begin(sup);
    await vi.advanceTimersByTimeAsync(0);
    await attempts[0]!.superseded();
    expect(sup.state).toBe('starting');
    expect(changes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('drain', () => {
  it('waits until nothing is in flight', async () => {
    let inFlight = 2;
    let done = false;
    drain(() => inFlight, 5_000).then(() => (done = true), unexpected);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(false);
    inFlight = 0;
    await vi.advanceTimersByTimeAsync(25);
    expect(done).toBe(true);
  });

  it('gives up after graceMs', async () => {
    let done = false;
    drain(() => 1, 1_000).then(() => (done = true), unexpected);
    await vi.advanceTimersByTimeAsync(900);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(125);
    expect(done).toBe(true);
  });
});
