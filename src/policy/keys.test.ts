import { describe, expect, it } from 'vitest';
import { describeEachStoreFresh } from '../../test/support/stores.js';
import { GatewayError } from '../errors/index.js';
import { ApiKeyVerifier, createKey, describeKey, hashKey } from './keys.js';
import { credentialFromHeader, isAdmin } from './principal.js';

const reason = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof GatewayError ? `${e.code}: ${e.message}` : String(e)),
  );

describeEachStoreFresh('API keys', (db) => {
  it('stores only a hash, verifies in constant time, and refuses wrong, revoked and expired keys', async () => {
    const { key, record } = await createKey(db.store.apiKeys, { principal: 'alice', groups: ['ops'] });
    expect(key).toMatch(/^swy_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const stored = await db.store.apiKeys.get(record.id);
    expect(stored!.hash).toBe(hashKey(key));
    expect(JSON.stringify(stored)).not.toContain(key.slice(22));
    expect(describeKey(stored!)).not.toHaveProperty('hash');

    const v = new ApiKeyVerifier(db.store.apiKeys, () => 0);
    expect(await v.verify(key)).toEqual({ name: 'alice', groups: ['ops'], via: 'api-key' });
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(await reason(v.verify(wrong))).toBe('SWY_AUTH_INVALID: Unauthorized: unknown credential');
    expect(await reason(v.verify('swy_0000000000000000_' + 'x'.repeat(43)))).toContain('unknown credential');
    expect(await reason(v.verify('garbage'))).toContain('unknown credential');

    expect(await db.store.apiKeys.revoke(record.id, Date.now())).toBe(true);
    expect(await db.store.apiKeys.revoke(record.id, Date.now())).toBe(false);
    expect(await reason(v.verify(key))).toContain('the key was revoked');

    const old = await createKey(db.store.apiKeys, { principal: 'bob', expiresAt: Date.now() - 1 });
    expect(await reason(v.verify(old.key))).toContain('the key has expired');
    expect(describeKey(old.record).status).toBe('expired');
  });

  it('caches lookups for keyCacheMs; forget() drops a key at once', async () => {
    const { key, record } = await createKey(db.store.apiKeys, { principal: 'carol' });
    const v = new ApiKeyVerifier(db.store.apiKeys, () => 60_000);
    await v.verify(key);
    await db.store.apiKeys.revoke(record.id, Date.now());
    expect((await v.verify(key)).name).toBe('carol'); // still cached
    v.forget(record.id);
    expect(await reason(v.verify(key))).toContain('revoked');
  });
});

describe('credentials and admins', () => {
  it('reads bearer tokens and flags anything else', () => {
    expect(credentialFromHeader(undefined)).toEqual({});
    expect(credentialFromHeader('Bearer abc.def')).toEqual({ bearer: 'abc.def' });
    expect(credentialFromHeader('bearer  abc')).toEqual({ bearer: 'abc' });
    expect(credentialFromHeader('Basic dXNlcjpwYXNz')).toEqual({ malformed: true });
    expect(credentialFromHeader('Bearer ')).toEqual({ malformed: true });
    expect(credentialFromHeader('Bearer a b')).toEqual({ malformed: true });
  });

  it('admins are listed principals, listed groups, or the admin token', () => {
    const admins = ['alice', 'group:ops'];
    expect(isAdmin({ name: 'alice', groups: [], via: 'api-key' }, admins)).toBe(true);
    expect(isAdmin({ name: 'bob', groups: ['ops'], via: 'api-key' }, admins)).toBe(true);
    expect(isAdmin({ name: 'bob', groups: ['dev'], via: 'api-key' }, admins)).toBe(false);
    expect(isAdmin({ name: 'alice', groups: [], via: 'anonymous' }, admins)).toBe(false);
    expect(isAdmin({ name: 'admin', groups: [], via: 'admin-token', admin: true }, [])).toBe(true);
  });
});
