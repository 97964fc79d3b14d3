/**
 * Rate limits and quotas: token buckets per principal, per principal and tool, or per tool.
 * Counters live behind `BucketStore`, so a shared backend can replace the in-memory one when the
 * gateway runs as several replicas; the in-memory store answers synchronously (no promise on the
 * hot path).
 */
import type { Config } from '../config/schema.js';
import { GatewayError } from '../gateway/errors.js';
import type { Principal } from './principal.js';
import { globsToRegExp, normalize, type PolicyTarget } from './rules.js';

export interface TakeResult {
  ok: boolean;
  /** When refused: how long until one token is available. */
  retryAfterMs: number;
}

/** Token-bucket counters. `take` removes one token if there is one. */
export interface BucketStore {
  take(key: string, capacity: number, refillPerMs: number, now: number): TakeResult | Promise<TakeResult>;
}

const MAX_BUCKETS = 100_000;

export class MemoryBuckets implements BucketStore {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  take(key: string, capacity: number, refillPerMs: number, now: number): TakeResult {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.sweep(now, refillPerMs, capacity);
      b = { tokens: capacity, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + (now - b.at) * refillPerMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfterMs: 0 };
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / refillPerMs) };
  }

  /** Drop buckets that have refilled completely (they hold no information). */
  private sweep(now: number, refillPerMs: number, capacity: number): void {
    for (const [k, b] of this.buckets)
      if (b.tokens + (now - b.at) * refillPerMs >= capacity) this.buckets.delete(k);
    if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
  }
}

const PERIOD_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

interface CompiledLimit {
  name: string;
  everyone: boolean;
  principals: Set<string>;
  groups: Set<string>;
  tools?: RegExp;
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
          ...(l.tools ? { tools: globsToRegExp(l.tools) } : {}),
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
