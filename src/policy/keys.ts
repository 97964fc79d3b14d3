/**
 * API keys: `swy_<id>_<secret>`, where the id (8 random bytes, hex) finds the key and the secret
 * (32 random bytes) proves it. Only SHA-256 of the whole key is stored; the key is shown once at
 * creation and cannot be recovered. Checks compare hashes in constant time.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors/index.js';
import type { ApiKeyRepo, KeyCursor, StoredApiKey } from '../store/types.js';
import type { Principal } from './principal.js';

const KEY = /^swy_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export function keyId(key: string): string | undefined {
  return KEY.exec(key)?.[1];
}

export interface NewKey {
  principal: string;
  groups?: readonly string[];
  expiresAt?: number | null;
}

/** Create and store a key; the returned `key` is the only time it exists in clear. */
export async function createKey(
  repo: ApiKeyRepo,
  spec: NewKey,
  now = Date.now(),
): Promise<{ key: string; record: StoredApiKey }> {
  const id = randomBytes(8).toString('hex');
  const key = `swy_${id}_${randomBytes(32).toString('base64url')}`;
  const record: StoredApiKey = {
    id,
    hash: hashKey(key),
    principal: spec.principal,
    groups: [...(spec.groups ?? [])],
    createdAt: now,
    expiresAt: spec.expiresAt ?? null,
    revokedAt: null,
  };
  await repo.insert(record);
  return { key, record };
}

/** What listing shows of a key: never its hash. */
export function describeKey(k: StoredApiKey, now = Date.now()) {
  const status =
    k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active';
  return {
    id: k.id,
    principal: k.principal,
    groups: k.groups,
    createdAt: iso(k.createdAt),
    expiresAt: k.expiresAt === null ? null : iso(k.expiresAt),
    revokedAt: k.revokedAt === null ? null : iso(k.revokedAt),
    status,
  };
}

/** GET /admin/keys pages: `limit` keys (default 100, at most 1,000) in creation order. */
export const KEY_PAGE = { default: 100, max: 1000 } as const;

/**
 * One page of keys for the admin API, from its query (`limit`, `after`, `principal`); `next` is the
 * cursor for the page after it, or null on the last one.
 */
export async function keyPage(repo: ApiKeyRepo, query: URLSearchParams, now = Date.now()) {
  const limitText = query.get('limit');
  const limit = limitText === null ? KEY_PAGE.default : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > KEY_PAGE.max)
    throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: `limit must be 1–${KEY_PAGE.max}` });
  const afterText = query.get('after');
  const after = afterText === null ? undefined : parseCursor(afterText);
  const principal = query.get('principal') ?? undefined;
  // One more than asked says whether there is a next page.
  const rows = await repo.list({
    limit: limit + 1,
    ...(after && { after }),
    ...(principal && { principal }),
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    keys: page.map((k) => describeKey(k, now)),
    next: rows.length > limit && last ? `${last.createdAt}.${last.id}` : null,
  };
}

function parseCursor(text: string): KeyCursor {
  const m = /^(\d{1,16})\.([0-9a-f]{16})$/.exec(text);
  if (!m) throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: 'after must be the `next` of a page' });
  return { createdAt: Number(m[1]), id: m[2]! };
}

const MAX_CACHED = 10_000;

/** Verifies presented keys against the store, with a short cache so the hot path stays cheap. */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, { key: StoredApiKey | undefined; at: number }>();

  constructor(
    private readonly repo: ApiKeyRepo,
    private readonly cacheMs: () => number,
  ) {}

  /** The principal for a key, or a SWY_AUTH_INVALID error saying why not. */
  async verify(presented: string, now = Date.now()): Promise<Principal> {
    const id = keyId(presented);
    if (!id) throw new GatewayError('SWY_AUTH_INVALID', { reason: 'unknown credential' });
    const stored = await this.lookup(id, now);
    const given = Buffer.from(hashKey(presented), 'hex');
    // Compare against a stand-in when the id is unknown, so timing says nothing about ids.
    const expected = Buffer.from(stored?.hash ?? '0'.repeat(64), 'hex');
    if (!timingSafeEqual(given, expected) || !stored) {
      throw new GatewayError('SWY_AUTH_INVALID', { reason: 'unknown credential' });
    }
    if (stored.revokedAt !== null)
      throw new GatewayError('SWY_AUTH_INVALID', { reason: 'the key was revoked' });
    if (stored.expiresAt !== null && stored.expiresAt <= now)
      throw new GatewayError('SWY_AUTH_INVALID', { reason: 'the key has expired' });
    return { name: stored.principal, groups: stored.groups, via: 'api-key' };
  }

  /** Forget a key at once (revoked through the admin API). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  private async lookup(id: string, now: number): Promise<StoredApiKey | undefined> {
    const hit = this.cache.get(id);
    if (hit && now - hit.at < this.cacheMs()) return hit.key;
    const key = await this.repo.get(id);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(id, { key, at: now });
    return key;
  }
}

/** A stored time as ISO text; one out of a Date's range (written before it was checked) as its number. */
function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
