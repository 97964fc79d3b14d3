import { TaskState, type Task } from '@a2a-js/sdk';
import type { ServerCallContext } from '@a2a-js/sdk/server';
import { expect, it } from 'vitest';
import { describeEachStoreFresh } from '../../test/support/stores.js';
import { openStore } from './open.js';

/** What the SDK's task stores read from a call context: the tenant and the user's name. */
const caller = (userName: string) =>
  ({ tenant: '', user: { userName, isAuthenticated: true } }) as unknown as ServerCallContext;

const task = (id: string, state: TaskState, at: number): Task => ({
  id,
  contextId: `ctx-${id}`,
  status: { state, timestamp: new Date(at).toISOString(), message: undefined },
  artifacts: [],
  history: [],
  metadata: undefined,
});

describeEachStoreFresh('store', (db) => {
  it('applies migrations idempotently when reopened', async () => {
    await db.store.upstreams.insert({
      name: 'a',
      spec: { mcp: { command: 'x' } },
      createdAt: 1,
      updatedAt: 1,
    });
    await db.store.close();
    const url = await db.target.freshUrl();
    const first = await openStore(url);
    await first.close();
    db.store = await openStore(url); // second open: migrations already applied, nothing fails
    expect(await db.store.upstreams.list()).toEqual([]);
  });

  it('keeps upstreams by unique name', async () => {
    const spec = { mcp: { url: 'http://127.0.0.1:9/mcp' }, prefix: 'never' };
    expect(await db.store.upstreams.insert({ name: 'docs', spec, createdAt: 10, updatedAt: 10 })).toBe(true);
    expect(await db.store.upstreams.insert({ name: 'docs', spec: {}, createdAt: 11, updatedAt: 11 })).toBe(
      false,
    );
    expect(await db.store.upstreams.get('docs')).toEqual({
      name: 'docs',
      spec,
      createdAt: 10,
      updatedAt: 10,
    });
    expect((await db.store.upstreams.list()).map((u) => u.name)).toEqual(['docs']);
    expect(await db.store.upstreams.delete('docs')).toBe(true);
    expect(await db.store.upstreams.delete('docs')).toBe(false);
    expect(await db.store.upstreams.get('docs')).toBeUndefined();
  });

  it('stores sessions with epoch-millisecond timestamps intact', async () => {
    const now = 1_790_000_000_123;
    await db.store.sessions.insert({
      id: 's1',
      protocolVersion: '2025-11-25',
      clientInfo: { name: 'c', version: '1' },
      clientCapabilities: { sampling: {} },
      logLevel: null,
      createdAt: now,
      lastSeenAt: now,
    });
    await db.store.sessions.setLogLevel('s1', 'debug');
    await db.store.sessions.touch(['s1', 'missing'], now + 5);
    const s = await db.store.sessions.get('s1');
    expect(s).toEqual({
      id: 's1',
      protocolVersion: '2025-11-25',
      clientInfo: { name: 'c', version: '1' },
      clientCapabilities: { sampling: {} },
      logLevel: 'debug',
      createdAt: now,
      lastSeenAt: now + 5,
    });
  });

  it('replays events after a sequence number, in order, and expires them with their session', async () => {
    const base = { sessionId: 's1', createdAt: 100 };
    await db.store.sessions.insert({
      id: 's1',
      protocolVersion: '2025-11-25',
      clientInfo: {},
      clientCapabilities: {},
      logLevel: null,
      createdAt: 100,
      lastSeenAt: 100,
    });
    await db.store.events.append([
      { ...base, streamId: 'st', seq: 1, message: '{"a":1}' },
      { ...base, streamId: 'st', seq: 3, message: '{"a":3}' },
      { ...base, streamId: 'st', seq: 2, message: '{"a":2}' },
      { ...base, streamId: 'other', seq: 1, message: '{}' },
    ]);
    expect((await db.store.events.after('st', 1)).map((e) => e.message)).toEqual(['{"a":2}', '{"a":3}']);
    expect(await db.store.events.sessionOf('st')).toBe('s1');
    expect(await db.store.events.sessionOf('nope')).toBeUndefined();
    expect(await db.store.sessions.expire(50)).toEqual([]);
    expect(await db.store.sessions.expire(101)).toEqual(['s1']);
    expect(await db.store.events.after('st', 0)).toEqual([]);
    expect(await db.store.sessions.get('s1')).toBeUndefined();
  });

  it('prunes old events only', async () => {
    await db.store.events.append([
      { sessionId: 's', streamId: 'x', seq: 1, message: '1', createdAt: 10 },
      { sessionId: 's', streamId: 'x', seq: 2, message: '2', createdAt: 20 },
    ]);
    expect(await db.store.events.prune(15)).toBe(1);
    expect((await db.store.events.after('x', 0)).map((e) => e.seq)).toEqual([2]);
  });

  it('stores catalog entries all or nothing', async () => {
    const entry = (name: string, t = 1_790_000_000_001) => ({
      name,
      kind: 'model',
      spec: { name, kind: 'model', license: { declared: 'MIT' } },
      createdAt: t,
      updatedAt: t,
    });
    expect(await db.store.catalog.insertAll([entry('org/a'), entry('org/b')])).toEqual([]);
    // One name taken: nothing of the batch is written.
    expect(await db.store.catalog.insertAll([entry('org/c'), entry('org/a')])).toEqual(['org/a']);
    expect((await db.store.catalog.list()).map((e) => e.name)).toEqual(['org/a', 'org/b']);
    expect(await db.store.catalog.get('org/a')).toEqual(entry('org/a'));
    expect(await db.store.catalog.get('org/c')).toBeUndefined();
    expect(await db.store.catalog.delete('org/a')).toBe(true);
    expect(await db.store.catalog.delete('org/a')).toBe(false);
    expect((await db.store.catalog.list()).map((e) => e.name)).toEqual(['org/b']);
  });

  it('keeps runtime policies by unique name, in the order they were added', async () => {
    const rule = { name: 'r1', effect: 'deny', principals: ['bob'], tools: ['x.*'] };
    expect(await db.store.policies.insert({ name: 'r1', rule, createdAt: 1 })).toBe(true);
    expect(await db.store.policies.insert({ name: 'r1', rule, createdAt: 2 })).toBe(false);
    expect(await db.store.policies.insert({ name: 'r0', rule: { ...rule, name: 'r0' }, createdAt: 3 })).toBe(
      true,
    );
    expect((await db.store.policies.list()).map((p) => [p.name, p.createdAt])).toEqual([
      ['r1', 1],
      ['r0', 3],
    ]);
    expect((await db.store.policies.list())[0]!.rule).toEqual(rule);
    expect(await db.store.policies.delete('r1')).toBe(true);
    expect(await db.store.policies.delete('r1')).toBe(false);
  });

  it('pages API keys in creation order, also when keys share a creation time, and by principal', async () => {
    const key = (id: string, principal: string, createdAt: number) => ({
      id: id.padStart(16, '0'),
      hash: 'h'.repeat(64),
      principal,
      groups: [],
      createdAt,
      expiresAt: null,
      revokedAt: null,
    });
    for (const k of [key('b', 'alice', 2), key('a', 'bob', 2), key('c', 'alice', 1), key('d', 'bob', 3)])
      await db.store.apiKeys.insert(k);
    const ids = (keys: { id: string }[]) => keys.map((k) => k.id.replace(/^0+/, ''));
    expect(ids(await db.store.apiKeys.list())).toEqual(['c', 'a', 'b', 'd']);
    const first = await db.store.apiKeys.list({ limit: 2 });
    expect(ids(first)).toEqual(['c', 'a']);
    const last = first.at(-1)!;
    expect(ids(await db.store.apiKeys.list({ limit: 2, after: last }))).toEqual(['b', 'd']);
    expect(ids(await db.store.apiKeys.list({ limit: 5, principal: 'alice' }))).toEqual(['c', 'b']);
    expect(ids(await db.store.apiKeys.list({ limit: 5, principal: 'bob', after: last }))).toEqual(['d']);
  });

  it('keeps agent conversations in order, also when turns finish at once, and prunes stale ones', async () => {
    const c = db.store.conversations;
    expect(await c.load('ctx-1', 10)).toBeUndefined();
    await c.append('ctx-1', 'chat', 'alice', [{ role: 'user', content: 'hi' }]);
    // Two turns of one conversation finishing together (two replicas): both kept, none lost.
    await Promise.all([
      c.append('ctx-1', 'chat', 'alice', [
        { role: 'user', content: 'a1' },
        { role: 'assistant', content: 'a2' },
      ]),
      c.append('ctx-1', 'chat', 'alice', [
        { role: 'user', content: 'b1' },
        { role: 'assistant', content: 'b2' },
      ]),
    ]);
    const all = await c.load('ctx-1', 100);
    expect(all).toMatchObject({ agent: 'chat', owner: 'alice' });
    const contents = all!.messages.map((m) => (m as { content: string }).content);
    expect(contents[0]).toBe('hi');
    expect(contents.slice(1).sort()).toEqual(['a1', 'a2', 'b1', 'b2']);
    // Each turn stays in one piece.
    expect(contents.indexOf('a2')).toBe(contents.indexOf('a1') + 1);
    // The newest `limit` messages, oldest first.
    expect((await c.load('ctx-1', 2))!.messages).toEqual(all!.messages.slice(-2));

    await c.append('ctx-2', 'chat', 'bob', [{ role: 'user', content: 'later' }]);
    const now = Date.now();
    expect(await c.prune(now - 60_000)).toBe(0);
    expect(await c.prune(now + 60_000)).toBe(6);
    expect(await c.load('ctx-1', 10)).toBeUndefined();
    expect(await c.load('ctx-2', 10)).toBeUndefined();
  });

  it('forgets finished A2A tasks (and their push configs) after the retention; running ones stay', async () => {
    const { tasks, pushConfigs } = db.store.a2a;
    const alice = caller('alice');
    const day = 86_400_000;
    const now = 1_790_000_000_000;
    const old = now - 40 * day;
    await tasks.save(task('done-old', TaskState.TASK_STATE_COMPLETED, old), alice);
    await tasks.save(task('failed-old', TaskState.TASK_STATE_FAILED, old), alice);
    await tasks.save(task('canceled-old', TaskState.TASK_STATE_CANCELED, old), caller('bob'));
    await tasks.save(task('rejected-old', TaskState.TASK_STATE_REJECTED, old), alice);
    await tasks.save(task('done-new', TaskState.TASK_STATE_COMPLETED, now - day), alice);
    // Not finished, however old: a task waiting for input or still working is kept.
    await tasks.save(task('waiting-old', TaskState.TASK_STATE_INPUT_REQUIRED, old), alice);
    await tasks.save(task('working-old', TaskState.TASK_STATE_WORKING, old), alice);
    const hook = (taskId: string) => ({
      tenant: '',
      id: 'hook',
      taskId,
      url: 'https://example.com/h',
      token: 't',
      authentication: undefined,
    });
    await pushConfigs.save('done-old', alice, hook('done-old'));
    await pushConfigs.save('done-new', alice, hook('done-new'));

    expect(await db.store.a2a.prune(now - 30 * day)).toBe(4);
    for (const id of ['done-old', 'failed-old', 'rejected-old'])
      expect(await tasks.load(id, alice)).toBeUndefined();
    expect(await tasks.load('canceled-old', caller('bob'))).toBeUndefined();
    for (const id of ['done-new', 'waiting-old', 'working-old'])
      expect((await tasks.load(id, alice))?.id).toBe(id);
    expect(await pushConfigs.load('done-old', alice)).toEqual([]);
    expect((await pushConfigs.load('done-new', alice)).map((c) => c.id)).toEqual(['hook']);
    expect(await db.store.a2a.prune(now - 30 * day)).toBe(0);
  });
});

describeEachStoreFresh('store: owners of proxied A2A tasks', (db) => {
  it('keeps the first owner of a task, answers by task and by context, and prunes by age', async () => {
    const owners = db.store.a2a.owners;
    const row = (taskId: string, contextId: string, principal: string, createdAt: number) => ({
      agent: 'travel',
      taskId,
      contextId,
      principal,
      createdAt,
    });
    expect(await owners.insertAll([row('t1', 'c1', 'alice', 10), row('t2', 'c1', 'alice', 20)])).toEqual([
      { agent: 'travel', taskId: 't1' },
      { agent: 'travel', taskId: 't2' },
    ]);
    // A task recorded before keeps its owner; only new rows come back.
    expect(await owners.insertAll([row('t1', 'c1', 'bob', 30), row('t3', 'c3', 'bob', 30)])).toEqual([
      { agent: 'travel', taskId: 't3' },
    ]);
    expect(await owners.ownersOf('travel', ['t1', 't3', 'nope'])).toEqual(
      new Map([
        ['t1', 'alice'],
        ['t3', 'bob'],
      ]),
    );
    expect(await owners.ownersOf('other', ['t1'])).toEqual(new Map());
    expect(await owners.contextOwner('travel', 'c1')).toBe('alice');
    expect(await owners.contextOwner('travel', 'c9')).toBeUndefined();
    expect(await owners.prune(25)).toBe(2);
    expect(await owners.ownersOf('travel', ['t1', 't2', 't3'])).toEqual(new Map([['t3', 'bob']]));
  });
});
