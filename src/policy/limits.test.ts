import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { GatewayError } from '../errors/index.js';
import { MemoryBuckets, RateLimiter, type BucketStore } from './limits.js';
import type { Principal } from './principal.js';

const who = (name: string, ...groups: string[]): Principal => ({ name, groups, via: 'api-key' });
const tool = (name: string, alias?: string) => ({ kind: 'tool' as const, name, ...(alias ? { alias } : {}) });

function limiter(rateLimits: unknown[], store?: BucketStore) {
  const config = validateConfig({ rateLimits });
  return new RateLimiter(() => config, store);
}

/** The in-memory bucket store answers at once: a check either passes or throws. */
function sync(r: void | Promise<void>): void {
  if (r) throw new Error('expected a synchronous answer from the in-memory store');
}

function outcome(f: () => void | Promise<void>): string {
  try {
    sync(f());
    return 'ok';
  } catch (e) {
    const g = e as GatewayError;
    return `${g.code} retry-after=${g.headers?.['retry-after']}`;
  }
}

describe('token buckets', () => {
  it('refills at the configured rate and answers with Retry-After', () => {
    const b = new MemoryBuckets();
    const refill = 1 / 60_000; // one per minute
    expect([0, 0, 0].map(() => b.take('k', 2, refill, 0).ok)).toEqual([true, true, false]);
    expect(b.take('k', 2, refill, 0).retryAfterMs).toBe(60_000);
    expect(b.take('k', 2, refill, 30_000).ok).toBe(false);
    expect(b.take('k', 2, refill, 60_000).ok).toBe(true);
  });

  it('applies limits by principal, principal and tool, or tool, matching tools by either name', () => {
    const l = limiter([
      { name: 'per-user', principals: ['group:dev'], rate: 2, per: 'minute' },
      { name: 'search-quota', tools: ['search'], rate: 1, per: 'day', key: 'tool' },
    ]);
    const ann = who('ann', 'dev');
    expect(outcome(() => l.check(ann, undefined, 0))).toBe('ok');
    expect(outcome(() => l.check(ann, tool('x.other', 'other'), 0))).toBe('ok');
    expect(outcome(() => l.check(ann, undefined, 0))).toBe('SWY_RATE_LIMITED retry-after=30');
    expect(outcome(() => l.check(ann, undefined, 30_000))).toBe('ok');
    // Not in the group: only the tool quota applies to bob, and it is shared by everyone.
    expect(outcome(() => l.check(who('bob'), tool('docs.search', 'search'), 0))).toBe('ok');
    expect(outcome(() => l.check(who('cy'), tool('docs.search', 'search'), 0))).toBe(
      'SWY_RATE_LIMITED retry-after=86400',
    );
    expect(outcome(() => l.check(who('bob'), undefined, 0))).toBe('ok');
  });

  it('works with an asynchronous (shared) bucket store', async () => {
    const mem = new MemoryBuckets();
    const shared: BucketStore = { take: async (...a) => mem.take(...a) };
    const l = limiter([{ rate: 1, per: 'hour' }], shared);
    await l.check(who('a'), undefined, 0);
    await expect(Promise.resolve(l.check(who('a'), undefined, 0))).rejects.toThrow('Too many requests');
  });

  describe('the sweep of idle buckets', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('drops only buckets that have refilled: a spent quota stays spent, however many others come and go', () => {
      vi.useFakeTimers({ now: 0 });
      const store = new MemoryBuckets();
      const l = limiter(
        [
          { name: 'per-user', rate: 600, per: 'minute', burst: 10 },
          { name: 'daily', principals: ['mallory'], rate: 1, per: 'day' },
        ],
        store,
      );
      const mallory = who('mallory');
      expect(outcome(() => l.check(mallory, undefined))).toBe('ok');
      expect(outcome(() => l.check(mallory, undefined))).toBe('SWY_RATE_LIMITED retry-after=86400');
      // Enough other clients, all at once, to fill the store: room is made without forgetting her count.
      for (let i = 0; i < 100_000; i++) sync(l.check(who(`u${i}`), undefined));
      expect(outcome(() => l.check(mallory, undefined))).toBe('SWY_RATE_LIMITED retry-after=86400');
      expect(store.size).toBeLessThanOrEqual(100_000);

      // A minute later the per-user buckets are full again and are swept; hers is not.
      vi.advanceTimersByTime(60_000);
      expect(outcome(() => l.check(who('late'), undefined))).toBe('ok');
      expect(store.size).toBeLessThan(10);
      expect(outcome(() => l.check(mallory, undefined))).toBe('SWY_RATE_LIMITED retry-after=86340');

      // A day later hers has refilled: she may call again, and the bucket is dropped once full.
      vi.advanceTimersByTime(86_400_000);
      expect(outcome(() => l.check(mallory, undefined))).toBe('ok');
      vi.advanceTimersByTime(86_400_000);
      sync(l.check(who('someone'), undefined));
      expect(store.size).toBe(1); // only the bucket just used
    });
  });
});
