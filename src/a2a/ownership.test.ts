import { describe, expect, it } from 'vitest';
import type { Principal } from '../policy/principal.js';
import type { StoredTaskOwner, TaskOwnerRepo } from '../store/types.js';
import { silentLogger } from '../telemetry/logger.js';
import { TaskOwnership } from './ownership.js';

/** An in-memory repo whose commits wait until `commit()` is called. */
function repo() {
  const rows = new Map<string, StoredTaskOwner>();
  const waiting: (() => void)[] = [];
  const r: TaskOwnerRepo & { rows: typeof rows; commit(): void } = {
    rows,
    commit: () => waiting.splice(0).forEach((f) => f()),
    insertAll: (batch) =>
      new Promise((resolve) =>
        waiting.push(() => {
          const inserted = batch.filter((b) => !rows.has(b.taskId));
          for (const b of inserted) rows.set(b.taskId, b);
          resolve(inserted.map((b) => ({ agent: b.agent, taskId: b.taskId })));
        }),
      ),
    ownersOf: (_agent, ids) =>
      Promise.resolve(new Map(ids.filter((i) => rows.has(i)).map((i) => [i, rows.get(i)!.principal]))),
    contextOwner: (_agent, ctx) =>
      Promise.resolve([...rows.values()].find((r) => r.contextId === ctx)?.principal),
    prune: () => Promise.resolve(0),
  };
  return r;
}

const who = (name: string): Principal => ({ name, groups: [], via: 'api-key' });
const admin: Principal = { name: 'admin', groups: [], via: 'admin-token', admin: true };
const settle = () => new Promise((r) => setImmediate(r));

describe('task ownership', () => {
  it('knows a new task is its creator’s at once; the store gets it in the next commit', async () => {
    const store = repo();
    const owners = new TaskOwnership(store, { admins: () => [], shared: false, log: silentLogger() });
    await owners.created('travel', { taskId: 't1', contextId: 'c1' }, undefined, who('alice'));
    expect(await owners.owns('travel', 't1', who('alice'))).toBe(true);
    expect(await owners.owns('travel', 't1', who('bob'))).toBe(false);
    expect(await owners.mayContinue('travel', { contextId: 'c1' }, who('bob'))).toBe(false);
    expect(store.rows.size).toBe(0); // written behind, in a later batch (or at stop)
    const closing = owners.close();
    store.commit();
    await closing;
    expect(store.rows.get('t1')?.principal).toBe('alice');
  });

  it('where the store is shared, answers only once the record is committed', async () => {
    const store = repo();
    const owners = new TaskOwnership(store, { admins: () => [], shared: true, log: silentLogger() });
    let answered = false;
    const done = owners.created('travel', { taskId: 't1', contextId: 'c1' }, undefined, who('alice'));
    done.then(
      () => (answered = true),
      () => {},
    );
    await settle();
    expect(answered).toBe(false);
    store.commit();
    await done;
    expect(store.rows.get('t1')?.principal).toBe('alice');
  });

  it('an admin continuing someone’s task or context takes neither', async () => {
    const store = repo();
    const owners = new TaskOwnership(store, { admins: () => [], shared: false, log: silentLogger() });
    await owners.created('travel', { taskId: 't1', contextId: 'c1' }, undefined, who('alice'));
    expect(await owners.mayContinue('travel', { taskId: 't1', contextId: 'c1' }, admin)).toBe(true);
    await owners.created('travel', { taskId: 't1', contextId: 'c1' }, { taskId: 't1' }, admin);
    await owners.created('travel', { taskId: 't2', contextId: 'c1' }, {}, admin);
    expect(await owners.owns('travel', 't1', who('alice'))).toBe(true);
    expect(await owners.mayContinue('travel', { contextId: 'c1' }, who('alice'))).toBe(true);
    expect(await owners.owns('travel', 't2', who('alice'))).toBe(false);
  });

  it('a task the store already gives to someone else is not taken by a new answer', async () => {
    const store = repo();
    store.rows.set('t9', {
      agent: 'travel',
      taskId: 't9',
      contextId: 'c9',
      principal: 'alice',
      createdAt: 1,
    });
    const owners = new TaskOwnership(store, { admins: () => [], shared: false, log: silentLogger() });
    await owners.created('travel', { taskId: 't9', contextId: 'x' }, undefined, who('bob'));
    const closing = owners.close();
    store.commit();
    await closing;
    expect(await owners.owns('travel', 't9', who('bob'))).toBe(false);
    expect(await owners.owns('travel', 't9', who('alice'))).toBe(true);
  });
});
