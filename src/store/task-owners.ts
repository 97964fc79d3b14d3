/**
 * Owners of the tasks of proxied A2A agents: (agent, task id) → principal, and through the task
 * rows the owner of each context. Written once with Kysely for SQLite and Postgres.
 */
import type { Kysely } from 'kysely';
import type { StoredTaskOwner, TaskOwnerRepo } from './types.js';

export interface TaskOwnerTables {
  a2a_task_owners: {
    agent: string;
    task_id: string;
    context_id: string;
    principal: string;
    created_at: number;
  };
}

/** Rows per statement: far below both dialects' limits on bound parameters. */
const CHUNK = 500;

export class TaskOwners implements TaskOwnerRepo {
  constructor(private readonly db: Kysely<TaskOwnerTables>) {}

  async insertAll(rows: readonly StoredTaskOwner[]): Promise<{ agent: string; taskId: string }[]> {
    const inserted: { agent: string; taskId: string }[] = [];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const out = await this.db
        .insertInto('a2a_task_owners')
        .values(
          rows.slice(i, i + CHUNK).map((r) => ({
            agent: r.agent,
            task_id: r.taskId,
            context_id: r.contextId,
            principal: r.principal,
            created_at: r.createdAt,
          })),
        )
        .onConflict((oc) => oc.columns(['agent', 'task_id']).doNothing())
        .returning(['agent', 'task_id'])
        .execute();
      for (const r of out) inserted.push({ agent: r.agent, taskId: r.task_id });
    }
    return inserted;
  }

  async ownersOf(agent: string, taskIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < taskIds.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('a2a_task_owners')
        .select(['task_id', 'principal'])
        .where('agent', '=', agent)
        .where('task_id', 'in', taskIds.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) out.set(r.task_id, r.principal);
    }
    return out;
  }

  async contextOwner(agent: string, contextId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('a2a_task_owners')
      .select('principal')
      .where('agent', '=', agent)
      .where('context_id', '=', contextId)
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    return row?.principal;
  }

  async prune(before: number): Promise<number> {
    const r = await this.db.deleteFrom('a2a_task_owners').where('created_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
