/**
 * Agent conversations: the messages of each A2A context, so a conversation continues on whichever
 * replica the next message reaches. Written once with Kysely for SQLite and Postgres.
 */
import type { Kysely } from 'kysely';
import type { ConversationRepo, StoredConversation } from './types.js';

export interface ConversationTables {
  agent_messages: {
    context_id: string;
    seq: number;
    agent: string;
    owner: string;
    message: string;
    created_at: number;
  };
}

export class Conversations implements ConversationRepo {
  constructor(private readonly db: Kysely<ConversationTables>) {}

  async load(contextId: string, limit: number): Promise<StoredConversation | undefined> {
    const rows = await this.db
      .selectFrom('agent_messages')
      .select(['agent', 'owner', 'message'])
      .where('context_id', '=', contextId)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    if (rows.length === 0) return undefined;
    rows.reverse();
    return {
      agent: rows[0]!.agent,
      owner: rows[0]!.owner,
      messages: rows.map((r) => JSON.parse(r.message) as unknown),
    };
  }

  async append(contextId: string, agent: string, owner: string, messages: readonly unknown[]): Promise<void> {
    if (messages.length === 0) return;
    // Two turns of one conversation finishing at once (on two replicas) race for the next seq;
    // the primary key makes the loser retry after the winner's rows.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.transaction().execute(async (tx) => {
          const last = await tx
            .selectFrom('agent_messages')
            .select((eb) => eb.fn.max('seq').as('seq'))
            .where('context_id', '=', contextId)
            .executeTakeFirst();
          const start = last?.seq === null || last?.seq === undefined ? 0 : Number(last.seq) + 1;
          const now = Date.now();
          await tx
            .insertInto('agent_messages')
            .values(
              messages.map((m, i) => ({
                context_id: contextId,
                seq: start + i,
                agent,
                owner,
                message: JSON.stringify(m),
                created_at: now,
              })),
            )
            .execute();
        });
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  async prune(before: number): Promise<number> {
    const stale = this.db
      .selectFrom('agent_messages')
      .select('context_id')
      .groupBy('context_id')
      .having((eb) => eb.fn.max('created_at'), '<', before);
    const r = await this.db.deleteFrom('agent_messages').where('context_id', 'in', stale).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
