/**
 * Rate limits and quotas: token buckets per principal, per principal and tool, or per tool.
 * Counters live behind `BucketStore`, so a shared backend can replace the in-memory one when the
 * gateway runs as several replicas; the in-memory store answers synchronously (no promise on the
 * hot path).
 */
import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { Principal } from './principal.js';
import type { GlobMatcher } from './globs.js';
import { normalize, ruleGlobs, type PolicyTarget } from './rules.js';

export interface TakeResult {
  ok: boolean;
  /** When refused: how long until one token is available. */
  retryAfterMs: number;
}

/** Token-bucket counters. `take` removes one token if there is one. */
export interface BucketStore {
  take(key: string, capacity: number, refillPerMs: number, now: number): TakeResult | Promise<TakeResult>;
}

/** Buckets kept in memory at most; beyond it the ones nearest to full make room. */
const MAX_BUCKETS = 100_000;
/** How often buckets that have refilled are dropped. */
const SWEEP_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
  /** The limit's shape, so each bucket is judged by its own limit (limits differ, and reloads change them). */
  capacity: number;
  refillPerMs: number;
}

/** When a bucket will be full again if nobody takes from it. */
function fullAt(b: Bucket): number {
  return b.at + (b.capacity - b.tokens) / b.refillPerMs;
}

export class MemoryBuckets implements BucketStore {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxBuckets = MAX_BUCKETS) {}

  /** Buckets held now. */
  get size(): number {
    return this.buckets.size;
  }

  take(key: string, capacity: number, refillPerMs: number, now: number): TakeResult {
    if (now - this.lastSweep >= SWEEP_MS) this.sweep(now);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxBuckets) this.makeRoom(now);
      b = { tokens: capacity, at: now, capacity, refillPerMs };
      this.buckets.set(key, b);
    } else {
      b.capacity = capacity;
      b.refillPerMs = refillPerMs;
      b.tokens = Math.min(capacity, b.tokens + (now - b.at) * refillPerMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfterMs: 0 };
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / refillPerMs) };
  }

  /**
   * Drop the buckets that have refilled completely: a fresh bucket is the same, so nothing is
   * forgotten. A bucket still short of tokens keeps its count, however long ago it was last used.
   */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (fullAt(b) <= now) this.buckets.delete(k);
  }

  /**
   * Full of buckets that are all still refilling (as many keys as MAX_BUCKETS busy at once): drop
   * a tenth, those nearest to full, which forgets the fewest tokens. Never all of them: that would
   * hand every client a fresh allowance.
   */
  private makeRoom(now: number): void {
    this.sweep(now);
    if (this.buckets.size < this.maxBuckets) return;
    const byFullAt = [...this.buckets].sort((a, b) => fullAt(a[1]) - fullAt(b[1]));
    const n = Math.max(1, Math.ceil(this.maxBuckets / 10));
    for (const [k] of byFullAt.slice(0, n)) this.buckets.delete(k);
  }
}

const PERIOD_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

interface CompiledLimit {
  name: string;
  everyone: boolean;
  principals: Set<string>;
  groups: Set<string>;
  tools?: GlobMatcher;
  capacity: number;
  refillPerMs: number;
  key: 'principal' | 'principal-tool' | 'tool';
  rate: number;
  per: string;
}

export class RateLimiter {
  private compiled: { source: Config['rateLimits']; limits: CompiledLimit[] } | undefined;
  onLimited?: (limit: string) => void;

  constructor(
    private readonly config: () => Config,
    private readonly store: BucketStore = new MemoryBuckets(),
  ) {}

  /**
   * Take a token from every bucket that applies; throw SWY_RATE_LIMITED (429, Retry-After) when one
   * is empty. `target` is the routed tool (or A2A skill); absent for other requests.
   */
  check(principal: Principal, target: PolicyTarget | undefined, now = Date.now()): void | Promise<void> {
    const limits = this.limits();
    if (limits.length === 0) return;
    const pending: Promise<void>[] = [];
    for (const l of limits) {
      if (!l.everyone && !l.principals.has(principal.name) && !principal.groups.some((g) => l.groups.has(g)))
        continue;
      if (l.tools) {
        if (!target || (target.kind !== 'tool' && target.kind !== 'skill')) continue;
        const name = normalize(target.name);
        const alias = target.alias === undefined ? undefined : normalize(target.alias);
        if (!l.tools.test(name) && !(alias !== undefined && l.tools.test(alias))) continue;
      }
      const tool = target?.name ?? '';
      const key =
        l.key === 'principal'
          ? `${l.name}\u0000${principal.name}`
          : l.key === 'tool'
            ? `${l.name}\u0000\u0000${tool}`
            : `${l.name}\u0000${principal.name}\u0000${tool}`;
      const r = this.store.take(key, l.capacity, l.refillPerMs, now);
      if (r instanceof Promise) pending.push(r.then((x) => this.verdict(l, x)));
      else this.verdict(l, r);
    }
    if (pending.length > 0) return Promise.all(pending).then(() => undefined);
  }

  private verdict(l: CompiledLimit, r: TakeResult): void {
    if (r.ok) return;
    this.onLimited?.(l.name);
    const retryAfter = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
    const err = new GatewayError('SWY_RATE_LIMITED', { limit: l.name, rate: l.rate, per: l.per, retryAfter });
    err.headers = { 'retry-after': String(retryAfter) };
    throw err;
  }

  private limits(): CompiledLimit[] {
    const source = this.config().rateLimits;
    if (this.compiled?.source !== source) {
      this.compiled = {
        source,
        limits: source.map((l, i) => ({
          name: l.name ?? `rateLimits[${i}]`,
          everyone: l.principals.includes('*'),
          principals: new Set(l.principals.filter((p) => !p.startsWith('group:'))),
          groups: new Set(l.principals.filter((p) => p.startsWith('group:')).map((p) => p.slice(6))),
          ...(l.tools ? { tools: ruleGlobs(l.tools) } : {}),
          capacity: l.burst ?? Math.max(1, Math.floor(l.rate)),
          refillPerMs: l.rate / PERIOD_MS[l.per],
          key: l.key,
          rate: l.rate,
          per: l.per,
        })),
      };
    }
    return this.compiled.limits;
  }
}
