import { expect, it } from 'vitest';
import { describeEachStoreFresh } from '../../test/support/stores.js';
import { silentLogger } from '../telemetry/logger.js';
import { SessionRegistry } from './sessions.js';

describeEachStoreFresh('session registry', (db) => {
  const init = {
    transport: 'http' as const,
    protocolVersion: '2025-11-25',
    clientInfo: { name: 'c' },
    clientCapabilities: {},
  };

  it('restores a session it does not hold from the store', async () => {
    const a = new SessionRegistry(db.store.sessions, silentLogger(), 60_000);
    const s = await a.create(init);
    await a.setLogLevel(s, 'error');
    const b = new SessionRegistry(db.store.sessions, silentLogger(), 60_000); // another process, or after a restart
    const restored = await b.get(s.id);
    expect(restored).toMatchObject({
      id: s.id,
      protocolVersion: '2025-11-25',
      logLevel: 'error',
      clientInfo: { name: 'c' },
    });
    expect(await b.get('no-such-session')).toBeUndefined();
  });

  it('expires idle sessions, here and in the store, but not ones with calls in flight', async () => {
    const reg = new SessionRegistry(db.store.sessions, silentLogger(), 1_000);
    const closed: string[] = [];
    reg.onclose = (s) => void closed.push(s.id);
    const idle = await reg.create(init);
    const busy = await reg.create(init);
    busy.inFlight.set(1, {} as never);
    const later = Date.now() + 60_000;
    idle.lastSeen = busy.lastSeen = later - 5_000;
    await reg.maintain(later);
    expect(closed).toEqual([idle.id]);
    expect(reg.live(idle.id)).toBeUndefined();
    expect(reg.live(busy.id)).toBe(busy);
    expect(await db.store.sessions.get(idle.id)).toBeUndefined();
    expect(await db.store.sessions.get(busy.id)).toMatchObject({ lastSeenAt: later });
    expect(await new SessionRegistry(db.store.sessions, silentLogger(), 1_000).get(idle.id)).toBeUndefined();
  });

  it('DELETE removes the session from the store', async () => {
    const reg = new SessionRegistry(db.store.sessions, silentLogger(), 0);
    const s = await reg.create(init);
    await reg.close(s);
    expect(s.closed).toBe(true);
    expect(await db.store.sessions.get(s.id)).toBeUndefined();
  });

  it('holds at most maxPerPrincipal sessions a principal, giving up its least recently used idle one', async () => {
    const reg = new SessionRegistry(db.store.sessions, silentLogger(), 60_000, 2);
    const evicted: string[] = [];
    reg.onevict = (s) => void evicted.push(s.id);
    const a = await reg.create({ ...init, principal: 'p' });
    const b = await reg.create({ ...init, principal: 'p' });
    a.inFlight.set(1, {} as never); // in use, though used less recently than b
    const q = await reg.create({ ...init, principal: 'q' });
    const c = await reg.create({ ...init, principal: 'p' });
    expect(evicted).toEqual([b.id]);
    expect(b.closed).toBe(true);
    expect(reg.live(b.id)).toBeUndefined();
    expect(await db.store.sessions.get(b.id)).toBeUndefined();
    expect([a, q, c].map((s) => reg.live(s.id))).toEqual([a, q, c]);

    // Sessions read back from the store (after a restart) count as well.
    const restarted = new SessionRegistry(db.store.sessions, silentLogger(), 60_000, 1);
    await restarted.get(a.id);
    await restarted.get(c.id);
    expect(restarted.live(a.id)).toBeUndefined();
    expect(restarted.live(c.id)).toMatchObject({ id: c.id });
    expect(restarted.size).toBe(1);
  });
});
