import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEachStore, rawSql } from '../../test/support/stores.js';
import { silentLogger } from '../telemetry/logger.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { GatewayError } from '../errors/index.js';
import { anchorGaps, resolveAnchor, type LedgerAnchor } from './anchor.js';
import { canonicalJson, digest } from './canonical.js';
import { redact, toEntry } from './entry.js';
import { readHead } from './head-file.js';
import { pagesOf, exportLedger } from './read.js';
import { verifyChain } from './chain.js';
import { signatureOk, signCheckpoint } from './signature.js';
import { verifyLedger } from './verify.js';
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

/** The recursive definition canonicalJson had before it kept its own stack: the reference bytes. */
function recursiveCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map(recursiveCanonical).join(',')}]`;
  const parts: string[] = [];
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${recursiveCanonical(v)}`);
  }
  return `{${parts.join(',')}}`;
}

function nested(levels: number, leaf: unknown = 'bottom'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { [`k${i % 7}`]: v, z: i };
  return v;
}

describe('canonical JSON without recursion', () => {
  const sparse: unknown[] = [1, , 3]; // eslint-disable-line no-sparse-arrays
  sparse[6] = 'end';
  const withExtras = Object.assign([1, 2], { extra: 'ignored' });
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
    norm() {
      return Math.hypot(this.x, this.y);
    }
  }
  const shared = { s: 1 };
  const corpus: unknown[] = [
    null,
    undefined,
    true,
    false,
    0,
    -0,
    1.5,
    1e21,
    -1e-7,
    NaN,
    Infinity,
    '',
    'é \u2028 "quoted" \\ \n \u0000 😀',
    Symbol('s'),
    () => 1,
    [],
    {},
    [[[]]],
    [undefined, () => 1, Symbol('x'), null, NaN],
    sparse,
    new Array(3),
    withExtras,
    { b: 1, a: 2, A: 3, _: 4, '10': 5, '9': 6, '': 7, ü: 8, '😀': 9, 'a b': 10 },
    { u: undefined, f: () => 1, s: Symbol('x'), n: null },
    { d: new Date(0), r: /x/g, m: new Map([[1, 2]]), set: new Set([1]), e: new Error('boom') },
    { t: new Uint8Array([3, 1, 2]), p: new Point(3, 4), o: Object.create(null) as object },
    { toJSON: () => 'not used', v: 1 },
    { shared, again: shared, list: [shared, shared] },
    {
      name: 'search',
      inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    },
    nested(200),
    nested(63, { leaf: [1, { deep: true }] }),
    nested(65, { leaf: [1, { deep: true }] }),
  ];

  it('writes the same bytes as the recursive definition for every value of a corpus', () => {
    for (const value of corpus) expect(canonicalJson(value)).toBe(recursiveCanonical(value));
  });

  it('keeps pinned tool-definition hashes', () => {
    const tool = {
      name: 'search',
      description: 'Search the docs — «fast»',
      inputSchema: {
        type: 'object',
        properties: { q: { type: 'string', minLength: 1 }, limit: { type: 'integer', default: 10 } },
        required: ['q'],
      },
      annotations: { readOnlyHint: true },
      _meta: undefined,
    };
    expect(digest(tool)).toBe('sha256:f721e58f9d3bfe71922ffa351bf42b88d7e752aad58921143868b14db211622d');
    expect(digest({ n: 1, a: [1, 'x', null, true, -0, 1e21, 0.1] })).toBe(
      'sha256:a6d36d2428c602d879dba60ffc2076779f068e8f32dc4c579d910be971d72a60',
    );
  });

  it('serialises 100,000 levels of nesting, and refuses a cycle instead of looping', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = { a: [deep] };
    const text = canonicalJson(deep);
    expect(text.length).toBe(100_000 * '{"a":[]}'.length + 1);
    expect(text.startsWith('{"a":[{"a":[')).toBe(true);
    expect(digest(deep)).toMatch(/^sha256:[0-9a-f]{64}$/);

    const loop: Record<string, unknown> = { a: 1 };
    loop.self = { back: [loop] };
    expect(() => canonicalJson(loop)).toThrow(TypeError);
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

  it('records an entry whose arguments are 100,000 levels deep; a flush never rejects', async () => {
    const url = await target().freshUrl();
    const store = await openStore(url);
    opened.push(store);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    // batchSize 1: append itself starts the flush and drops its promise (`void`), as in production.
    const w = new LedgerWriter(store.ledger, { ...OPTS, batchSize: 1 }, silentLogger());
    await w.open();
    w.append({ ...input(1), args: deep });
    await expect(w.flush()).resolves.toBeUndefined();
    w.append(input(2));
    await w.close();
    expect(await verify(store)).toMatchObject({ ok: true, count: 2 });
    const [first] = await store.ledger.after(0, 1);
    const entry = JSON.parse(first!.entry) as Record<string, unknown>;
    expect(entry.argsDigest).toBe(digest(deep));
    expect(entry.digestError).toBeUndefined();
  });

  it('records an entry whose arguments cannot be serialised, with the reason, instead of failing the flush', async () => {
    const url = await target().freshUrl();
    const store = await openStore(url);
    opened.push(store);
    const cyclic: Record<string, unknown> = {};
    let at = cyclic;
    for (let i = 0; i < 100; i++) at = (at.next = {}) as Record<string, unknown>;
    at.next = cyclic;
    const w = new LedgerWriter(store.ledger, { ...OPTS, batchSize: 2, storeArguments: true }, silentLogger());
    await w.open();
    w.append({ ...input(1), args: { n: 10n } });
    w.append({ ...input(2), args: cyclic });
    w.append(input(3));
    await expect(w.flush()).resolves.toBeUndefined();
    await w.close();
    expect(await verify(store)).toMatchObject({ ok: true, count: 3 });
    const entries = (await store.ledger.after(0, 10)).map(
      (r) => JSON.parse(r.entry) as Record<string, unknown>,
    );
    expect(entries[0]).toMatchObject({
      seq: 1,
      method: 'tools/call',
      principal: 'alice',
      target: 'docs.t1',
      outcome: 'ok',
      argsDigest: 'unavailable',
      digestError: expect.stringMatching(/^TypeError: .*BigInt/) as unknown,
    });
    expect(entries[0]!.args).toBeUndefined();
    expect(entries[1]).toMatchObject({
      argsDigest: 'unavailable',
      digestError: expect.stringContaining('cycle'),
    });
    expect(entries[2]).toMatchObject({ argsDigest: digest({ n: 3 }), args: { n: 3 } });
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

describeEachStore('ledger checkpoints signed outside the database', (target) => {
  const opened: Store[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'swy-anchor-'));
  let n = 0;
  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => {});
    await target().cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
  const anchor = (): LedgerAnchor => ({
    key: KEY,
    headFile: join(dir, `ledger${n++}.head`),
    keySource: 'audit.signingKey',
  });

  async function fresh(count: number, a = anchor()) {
    const url = await target().freshUrl();
    const store = await openStore(url);
    opened.push(store);
    const w = new LedgerWriter(store.ledger, OPTS, silentLogger(), a);
    await w.open();
    for (let i = 1; i <= count; i++) w.append(input(i));
    await w.close();
    return { url, store, anchor: a };
  }

  const reopen = async (store: Store, a: LedgerAnchor) => {
    const w = new LedgerWriter(store.ledger, OPTS, silentLogger(), a);
    await w.open();
    return w;
  };
  const refusal = async (store: Store, a: LedgerAnchor) => {
    const err = await reopen(store, a).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  };

  it('signs every checkpoint and copies the latest to the head file (0600)', async () => {
    const { store, anchor: a } = await fresh(11);
    const cps = await store.ledger.checkpoints();
    expect(cps.map((c) => c.seq)).toEqual([8, 11]);
    for (const c of cps) expect(signatureOk(KEY, c)).toBe(true);
    expect(signatureOk(Buffer.from('another key, long enough'), cps[0]!)).toBe(false);
    expect(await readHead(a.headFile!)).toEqual({ state: 'ok', checkpoint: cps[1] });
    if (process.platform !== 'win32') expect(statSync(a.headFile!).mode & 0o777).toBe(0o600);
    expect(await verifyLedger(store.ledger, a)).toMatchObject({
      ok: true,
      count: 11,
      signed: 2,
      headFile: { seq: 11 },
      notes: [],
    });
    const w = await reopen(store, a);
    w.append(input(12));
    await w.close();
    expect(await verifyLedger(store.ledger, a)).toMatchObject({ ok: true, count: 12, headFile: { seq: 12 } });
  });

  it('notices the newest records deleted together with their checkpoints, and refuses to continue from the cut', async () => {
    const { url, store, anchor: a } = await fresh(11);
    await rawSql(url, `delete from audit_ledger where seq >= 9`);
    await rawSql(url, `delete from audit_checkpoints where seq >= 9`);
    // The chain and the checkpoints left in the database are consistent: only the head file knows.
    expect(await verifyChain(pagesOf(store.ledger), await store.ledger.checkpoints())).toMatchObject({
      ok: true,
    });
    expect(await verifyLedger(store.ledger, a)).toMatchObject({
      ok: false,
      count: 8,
      seq: 9,
      problem: 'truncated',
      missing: { from: 9, to: 11 },
      detail: expect.stringContaining('records 9–11 are missing') as unknown,
    });
    const err = await refusal(store, a);
    expect(err.code).toBe('SWY_LEDGER_TAMPERED');
    expect(err.message).toContain('records 9–11 are missing');
    expect(err.fix).toContain('switchyard audit acknowledge');
  });

  it('names a forged or altered checkpoint', async () => {
    const { url, store, anchor: a } = await fresh(11);
    // Someone without the key edits record 4, rewrites the chain after it and moves the checkpoint.
    await rawSql(url, `update audit_checkpoints set hash = ? where seq = 8`, ['e'.repeat(64)]);
    expect(await verifyLedger(store.ledger, a)).toMatchObject({ ok: false, seq: 8, problem: 'forged' });
    expect((await refusal(store, a)).message).toContain('checkpoint 8');

    const second = await fresh(11);
    await rawSql(second.url, `insert into audit_checkpoints (seq, hash, time) values (?, ?, ?)`, [
      10,
      'f'.repeat(64),
      1,
    ]);
    expect(await verifyLedger(second.store.ledger, second.anchor)).toMatchObject({
      ok: false,
      seq: 10,
      problem: 'forged',
      detail: expect.stringContaining('unsigned') as unknown,
    });
  });

  it('notices a tail cut and written again by someone without the key', async () => {
    const { url, store, anchor: a } = await fresh(11);
    await rawSql(url, `delete from audit_ledger where seq >= 9`);
    await rawSql(url, `delete from audit_checkpoints where seq >= 9`);
    // The forger's writer continues the chain (no key, no head file): 9–13, consistent.
    const forger = new LedgerWriter(store.ledger, { ...OPTS, checkpointEvery: 0 }, silentLogger());
    await forger.open();
    for (let i = 20; i < 25; i++) forger.append(input(i));
    await forger.close();
    expect(await verifyLedger(store.ledger, a)).toMatchObject({ ok: false, seq: 13, problem: 'forged' });
    await rawSql(url, `delete from audit_checkpoints where seq = 13`);
    expect(await verifyLedger(store.ledger, a)).toMatchObject({
      ok: false,
      seq: 9,
      problem: 'truncated',
      missing: { from: 9, to: 11 },
      detail: expect.stringContaining('were replaced') as unknown,
    });
    await refusal(store, a);
  });

  it('rejects a head file the key did not sign', async () => {
    const { store, anchor: a } = await fresh(6);
    const head = JSON.parse(readFileSync(a.headFile!, 'utf8')) as Record<string, unknown>;
    writeFileSync(a.headFile!, JSON.stringify({ ...head, seq: 3, signature: 'a'.repeat(64) }));
    expect(await verifyLedger(store.ledger, a)).toMatchObject({ ok: false, problem: 'forged' });
    writeFileSync(a.headFile!, 'garbage');
    expect((await refusal(store, a)).message).toContain('head file');
  });

  it('does not read a crash as tampering: records after the last checkpoint, or a head file left behind', async () => {
    const { store, anchor: a } = await fresh(11);
    const before = readFileSync(a.headFile!, 'utf8');
    // A SIGKILL: entries flushed (12–19, a checkpoint at 15) but no stop. Then the head file as it
    // was before that checkpoint, as if the process died between the commit and the rename.
    const w = await reopen(store, a);
    for (let i = 12; i < 20; i++) w.append(input(i));
    await w.flush();
    expect((await store.ledger.checkpoints()).map((c) => c.seq)).toEqual([8, 11, 15]);
    expect((await readHead(a.headFile!)).state === 'ok' && (await readHead(a.headFile!))).toMatchObject({
      checkpoint: { seq: 15 },
    });
    writeFileSync(a.headFile!, before);
    const again = await reopen(store, a);
    again.append(input(20));
    await again.close();
    expect(await verifyLedger(store.ledger, a)).toMatchObject({ ok: true, count: 20, headFile: { seq: 20 } });
  });

  it('acknowledge records the cut on the chain, drops what no longer holds and re-seals', async () => {
    const { url, store, anchor: a } = await fresh(11);
    await rawSql(url, `delete from audit_ledger where seq >= 7`);
    await rawSql(url, `delete from audit_checkpoints where seq >= 9`);
    // Checkpoint 8 is left behind, beyond the new end.
    const w = new LedgerWriter(store.ledger, OPTS, silentLogger(), a);
    const findings = await w.acknowledge('cli:ops', 'restored from backup');
    expect(findings).toMatchObject([{ problem: 'truncated', missing: { from: 7, to: 11 } }]);
    expect(await verifyLedger(store.ledger, a)).toMatchObject({ ok: true, count: 7, headFile: { seq: 7 } });
    const [alert] = await store.ledger.last(1);
    expect(JSON.parse(alert!.entry)).toMatchObject({
      seq: 7,
      kind: 'alert',
      front: 'admin',
      principal: 'cli:ops',
      alert: 'ledger_tampering_acknowledged',
      detail: {
        reason: 'restored from backup',
        findings: [{ problem: 'truncated', missing: { from: 7, to: 11 } }],
        droppedCheckpoints: [{ seq: 8, signed: true }],
        headFile: { seq: 11 },
        databaseHead: { seq: 6 },
      },
    });
    // The gateway opens again, and a second acknowledge finds nothing.
    const next = await reopen(store, a);
    next.append(input(8));
    await next.close();
    expect(await verifyLedger(store.ledger, a)).toMatchObject({ ok: true, count: 8 });
    expect(await new LedgerWriter(store.ledger, OPTS, silentLogger(), a).acknowledge('cli:ops')).toEqual([]);
  });

  it('acknowledges a forged checkpoint by dropping it, recorded on the chain', async () => {
    const { url, store, anchor: a } = await fresh(11);
    await rawSql(url, `update audit_checkpoints set signature = ? where seq = 8`, ['0'.repeat(64)]);
    const findings = await new LedgerWriter(store.ledger, OPTS, silentLogger(), a).acknowledge('cli:ops');
    expect(findings).toMatchObject([{ problem: 'forged', seq: 8 }]);
    expect((await store.ledger.checkpoints()).map((c) => c.seq)).toEqual([11, 12]);
    expect(await verifyLedger(store.ledger, a)).toMatchObject({ ok: true, count: 12 });
  });

  it('without a key or head file, works as before and says what goes unseen', async () => {
    const { store } = await fresh(6, { keySource: 'none' });
    expect((await store.ledger.checkpoints()).every((c) => c.signature === undefined)).toBe(true);
    expect(await verifyLedger(store.ledger, { keySource: 'none' })).toMatchObject({
      ok: true,
      count: 6,
      notes: [expect.stringContaining('no ledger key'), expect.stringContaining('no head file')],
    });
    expect(anchorGaps({ keySource: 'none' })).toEqual([expect.stringContaining('audit.signingKey')]);
    expect(anchorGaps({ key: KEY, keySource: 'audit.signingKey' })).toEqual([
      expect.stringContaining('audit.headFile'),
    ]);
  });
});

describe('where the ledger key and head file come from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swy-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sqlite = { kind: 'sqlite' as const, location: `sqlite:${join(dir, 'gw.db')}` };

  it('generates a key file beside a SQLite file store on first start, then reuses it', () => {
    expect(resolveAnchor({}, sqlite, { create: false })).toEqual({
      keySource: 'none',
      headFile: join(dir, 'gw.db.ledger.head'),
    });
    const first = resolveAnchor({}, sqlite, { create: true });
    expect(first.keySource).toBe('generated file');
    expect(first.headFile).toBe(join(dir, 'gw.db.ledger.head'));
    const file = join(dir, 'gw.db.ledger.key');
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(resolveAnchor({}, sqlite, { create: true }).key).toEqual(first.key);
    expect(resolveAnchor({}, sqlite, { create: false }).key).toEqual(first.key);
  });

  it('takes a configured key or key file; other stores have none unless configured', () => {
    const memory = { kind: 'sqlite' as const, location: 'sqlite::memory:' };
    const pg = { kind: 'postgres' as const, location: 'postgres://u:***@127.0.0.1/db' };
    expect(resolveAnchor({}, memory, { create: true })).toEqual({ keySource: 'none' });
    expect(resolveAnchor({}, pg, { create: true })).toEqual({ keySource: 'none' });
    const keyFile = join(dir, 'ledger.key');
    writeFileSync(keyFile, 'a key from a mounted secret\n');
    expect(resolveAnchor({ signingKeyFile: keyFile }, pg, { create: true })).toEqual({
      key: Buffer.from('a key from a mounted secret'),
      keySource: 'audit.signingKeyFile',
      headFile: join(dir, 'ledger.head'),
    });
    expect(
      resolveAnchor({ signingKey: 'x'.repeat(16), headFile: join(dir, 'h') }, pg, { create: true }),
    ).toEqual({
      key: Buffer.from('x'.repeat(16)),
      keySource: 'audit.signingKey',
      headFile: join(dir, 'h'),
    });
    expect(() => resolveAnchor({ signingKey: 'short' }, pg, { create: true })).toThrow(/at least 16/);
    expect(() => resolveAnchor({ signingKeyFile: join(dir, 'nope') }, pg, { create: true })).toThrow(
      /ENOENT/,
    );
    expect(signCheckpoint(Buffer.from('x'.repeat(16)), { seq: 1, hash: '0'.repeat(64), time: 1 })).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });
});

describe('redaction', () => {
  it('matches configured keys case-insensitively, however they are written', () => {
    const args = { APIKEY: 'a', nested: { MyApiKey: 'b', list: [{ apikey: 'c' }] }, note: 'kept' };
    expect(redact(args, ['apiKey'])).toEqual({
      APIKEY: '[redacted]',
      nested: { MyApiKey: '[redacted]', list: [{ apikey: '[redacted]' }] },
      note: 'kept',
    });
  });
});
