/**
 * Retention of the A2A tasks the gateway's own agents keep (the SDK's DatabaseTaskStore layout,
 * tables of migration 0002). A finished task is never written again, so its status time is when
 * it finished; tasks still running or waiting for input are left alone. Written once with Kysely
 * for SQLite and Postgres.
 */
import { sql, type Kysely } from 'kysely';

export interface A2aTaskTables {
  a2a_tasks: {
    tenant: string;
    owner: string;
    id: string;
    /** Epoch ms of the task's status (the SDK writes `status.timestamp` here). */
    status_last_updated: number;
    status_state: string | null;
  };
  a2a_push_configs: { tenant: string; owner: string; task_id: string; config_id: string };
}

/** Final task states, as the SDK stores them: nothing happens to such a task again. */
export const FINAL_TASK_STATES = [
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_REJECTED',
] as const;

export async function pruneA2aTasks(db: Kysely<A2aTaskTables>, before: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    await tx
      .deleteFrom('a2a_push_configs')
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('a2a_tasks as t')
            .select(sql.lit(1).as('one'))
            .whereRef('t.tenant', '=', 'a2a_push_configs.tenant')
            .whereRef('t.owner', '=', 'a2a_push_configs.owner')
            .whereRef('t.id', '=', 'a2a_push_configs.task_id')
            .where('t.status_state', 'in', FINAL_TASK_STATES)
            .where('t.status_last_updated', '<', before),
        ),
      )
      .execute();
    const r = await tx
      .deleteFrom('a2a_tasks')
      .where('status_state', 'in', FINAL_TASK_STATES)
      .where('status_last_updated', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  });
}
