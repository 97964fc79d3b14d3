import { afterAll, describe, expect, it } from 'vitest';
import { describeEachStore, rawSql } from '../../test/support/stores.js';
import { silentLogger } from '../telemetry/logger.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { canonicalJson, digest } from './canonical.js';
import { toEntry } from './entry.js';
import { pagesOf, exportLedger } from './read.js';
import { verifyChain } from './chain.js';
import { LedgerWriter, type LedgerOptions } from './writer.js';

const OPTS: LedgerOptions = {
  storeArguments: false,
  redactKeys: ['password', 'token'],
  batchSize: 4,
  flushIntervalMs: 10_000,
  maxQueue: 100,
  checkpointEvery: 5,
};

const input = (i: number) => ({
  time: 1_790_000_000_000 + i,
  front: 'mcp' as const,
  principal: 'alice',
  method: 'tools/call',
  upstream: 'docs',
  target: `docs.t${i}`,
  args: { n: i },
  outcome: 'ok',
  latencyMs: 1.23456,
});

describe('canonical JSON and entries', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined, x: 'é' }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":"é","z":1}]},"b":1}',
    );
    expect(digest({ a: 1, b: 2 })).toBe(digest({ b: 2, a: 1 }));
  });

  it('digests arguments always and stores them only when asked, with secrets redacted', () => {
    const args = { query: 'x', auth: { Password: 'hunter2', apiToken: 't' } };
    const off = toEntry({ ...input(1), args }, { storeArguments: false, redactKeys: ['password', 'token'] });
    expect(off.argsDigest).toBe(digest(args));
    expect(off.args).toBeUndefined();
    const on = toEntry({ ...input(1), args }, { storeArguments: true, redactKeys: ['password', 'token'] });
    expect(on.args).toEqual({ query: 'x', auth: { Password: '[redacted]', apiToken: '[redacted]' } });
    expect(JSON.stringify(on)).not.toContain('hunter2');
    expect(on.latencyMs).toBe(1.235);
  });
});

describeEachStore('ledger', (target) => {
  const opened: Store[] = [];
  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => {});
    await target().cleanup();
  });

  async function fresh(n: number): Promise<{ url: string; store: Store }> {
    const url = await target().freshUrl();
    const store = await openStore(url);
    opened.push(store);
    const w = new LedgerWriter(store.ledger, OPTS, silentLogger());
    await w.open();
    for (let i = 1; i <= n; i++) expect(w.append(input(i))).toBe(true);
    await w.close();
    return { url, store };
  }

  const verify = async (store: Store) => verifyChain(pagesOf(store.ledger), await store.ledger.checkpoints());

  it('writes a verifiable chain in batches, with checkpoints, and continues it after a restart', async () => {
    const { url, store } = await fresh(11);
    const first = await verify(store);
    expect(first).toMatchObject({ ok: true, count: 11, head: { seq: 11 } });
    expect((await store.ledger.checkpoints()).map((c) => c.seq)).toEqual([8, 11]);

    const again = await openStore(url);
    opened.push(again);
    const w = new LedgerWriter(again.ledger, OPTS, silentLogger());
    await w.open();
    w.append(input(12));
    await w.close();
    expect(await verify(again)).toMatchObject({ ok: true, count: 12 });
    const lines = [];
    for await (const l of exportLedger(again.ledger, 1_790_000_000_000 + 10)) lines.push(JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([10, 11, 12]);
    expect(lines[0].entry).toMatchObject({ seq: 10, principal: 'alice', target: 'docs.t10' });
    expect(lines[0].entry.argsDigest).toBe(digest({ n: 10 }));
  });

  it('names an edited record', async () => {
    const { url, store } = await fresh(7);
    await rawSql(url, `update audit_ledger set entry = replace(entry, '"alice"', '"mallory"') where seq = 4`);
    expect(await verify(store)).toMatchObject({ ok: false, seq: 4, problem: 'edited' });
  });

  it('names an edited record even when its hash was recomputed', async () => {
    const { url, store } = await fresh(3);
    await rawSql(url, `update audit_ledger set hash = ? where seq = 2`, ['f'.repeat(64)]);
    // Row 2 no longer matches its own hash.
    expect(await verify(store)).toMatchObject({ ok: false, seq: 2, problem: 'edited' });
  });

  it('names a removed record', async () => {
    const { url, store } = await fresh(7);
    await rawSql(url, `delete from audit_ledger where seq = 3`);
    expect(await verify(store)).toMatchObject({ ok: false, seq: 3, problem: 'removed' });
  });

  it('names reordered records', async () => {
    const { url, store } = await fresh(6);
    await rawSql(url, `update audit_ledger set seq = -1 where seq = 2`);
    await rawSql(url, `update audit_ledger set seq = 2 where seq = 3`);
    await rawSql(url, `update audit_ledger set seq = 3 where seq = -1`);
    expect(await verify(store)).toMatchObject({ ok: false, seq: 2, problem: 'reordered' });
  });

  it('notices records cut off the end, thanks to the checkpoints', async () => {
    const { url, store } = await fresh(6);
    await rawSql(url, `delete from audit_ledger where seq >= 5`);
    expect(await verify(store)).toMatchObject({ ok: false, seq: 5, problem: 'truncated' });
  });

  it('refuses entries beyond the bounded queue instead of growing without limit', async () => {
    const url = await target().freshUrl();
    const store = await openStore(url);
    opened.push(store);
    const w = new LedgerWriter(store.ledger, { ...OPTS, maxQueue: 3, batchSize: 100 }, silentLogger());
    await w.open();
    expect([1, 2, 3, 4].map((i) => w.append(input(i)))).toEqual([true, true, true, false]);
    expect(w.accepting).toBe(false);
    expect(w.dropped).toBe(1);
    await w.flush();
    expect(w.accepting).toBe(true);
    await w.close();
    expect(await verify(store)).toMatchObject({ ok: true, count: 3 });
  });
});
