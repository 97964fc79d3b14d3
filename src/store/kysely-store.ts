/**
 * The Store implemented once with Kysely; the same queries run on SQLite and Postgres.
 */
import type { Kysely } from 'kysely';
import { DatabasePushNotificationStore, DatabaseTaskStore } from '@a2a-js/sdk/server/database';
import { TaskOwners, type TaskOwnerTables } from './task-owners.js';
import { pruneA2aTasks, type A2aTaskTables } from './a2a-retention.js';
import { Conversations, type ConversationTables } from './conversations.js';
import { ApiKeys, Ledger, Pins, Policies, type TrustTables } from './trust-repos.js';
import type {
  A2aRepos,
  ApiKeyRepo,
  CatalogRepo,
  ConversationRepo,
  EventRepo,
  LedgerRepo,
  PinRepo,
  PolicyRepo,
  SessionRepo,
  Store,
  StoredCatalogEntry,
  StoredEvent,
  StoredSession,
  StoredUpstream,
  UpstreamRepo,
} from './types.js';

export interface Tables extends TrustTables {
  upstreams: { name: string; spec: string; created_at: number; updated_at: number };
  mcp_sessions: {
    id: string;
    protocol_version: string;
    client_info: string;
    client_capabilities: string;
    log_level: string | null;
    created_at: number;
    last_seen_at: number;
    principal?: string | null;
  };
  mcp_events: { stream_id: string; seq: number; session_id: string; message: string; created_at: number };
  catalog_entries: { name: string; kind: string; spec: string; created_at: number; updated_at: number };
}

export const A2A_TASKS = 'a2a_tasks';
export const A2A_PUSH_CONFIGS = 'a2a_push_configs';

export class KyselyStore implements Store {
  readonly upstreams: UpstreamRepo;
  readonly sessions: SessionRepo;
  readonly events: EventRepo;
  readonly a2a: A2aRepos;
  readonly catalog: CatalogRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly pins: PinRepo;
  readonly ledger: LedgerRepo;
  readonly policies: PolicyRepo;
  readonly conversations: ConversationRepo;

  constructor(
    private readonly db: Kysely<Tables>,
    readonly kind: Store['kind'],
    readonly location: string,
  ) {
    this.upstreams = new Upstreams(db);
    this.sessions = new Sessions(db);
    this.events = new Events(db);
    // The A2A SDK's own Kysely-backed stores, on our connection and in tables our migrations create.
    this.a2a = {
      tasks: new DatabaseTaskStore(db, { tableName: A2A_TASKS }),
      pushConfigs: new DatabasePushNotificationStore(db, { tableName: A2A_PUSH_CONFIGS }),
      owners: new TaskOwners(db as unknown as Kysely<TaskOwnerTables>),
      prune: (before) => pruneA2aTasks(db as unknown as Kysely<A2aTaskTables>, before),
    };
    this.catalog = new CatalogEntries(db);
    // The trust repositories only see their own tables.
    const trust = db as unknown as Kysely<TrustTables>;
    this.apiKeys = new ApiKeys(trust);
    this.pins = new Pins(trust);
    this.ledger = new Ledger(trust);
    this.policies = new Policies(trust);
    this.conversations = new Conversations(db as unknown as Kysely<ConversationTables>);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

class Upstreams implements UpstreamRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async list(): Promise<StoredUpstream[]> {
    const rows = await this.db
      .selectFrom('upstreams')
      .selectAll()
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return rows.map(toUpstream);
  }

  async get(name: string): Promise<StoredUpstream | undefined> {
    const row = await this.db.selectFrom('upstreams').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toUpstream(row);
  }

  async insert(u: StoredUpstream): Promise<boolean> {
    const result = await this.db
      .insertInto('upstreams')
      .values({
        name: u.name,
        spec: JSON.stringify(u.spec),
        created_at: u.createdAt,
        updated_at: u.updatedAt,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('upstreams').where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toUpstream(row: Tables['upstreams']): StoredUpstream {
  return {
    name: row.name,
    spec: JSON.parse(row.spec) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

class CatalogEntries implements CatalogRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async list(): Promise<StoredCatalogEntry[]> {
    const rows = await this.db.selectFrom('catalog_entries').selectAll().orderBy('name').execute();
    return rows.map(toCatalogEntry);
  }

  async get(name: string): Promise<StoredCatalogEntry | undefined> {
    const row = await this.db
      .selectFrom('catalog_entries')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toCatalogEntry(row);
  }

  async insertAll(entries: readonly StoredCatalogEntry[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const names = entries.map((e) => e.name);
    return this.db.transaction().execute(async (tx) => {
      const taken = await tx
        .selectFrom('catalog_entries')
        .select('name')
        .where('name', 'in', names)
        .execute();
      if (taken.length > 0) return taken.map((r) => r.name).sort();
      await tx
        .insertInto('catalog_entries')
        .values(
          entries.map((e) => ({
            name: e.name,
            kind: e.kind,
            spec: JSON.stringify(e.spec),
            created_at: e.createdAt,
            updated_at: e.updatedAt,
          })),
        )
        .execute();
      return [];
    });
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('catalog_entries').where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toCatalogEntry(row: Tables['catalog_entries']): StoredCatalogEntry {
  return {
    name: row.name,
    kind: row.kind,
    spec: JSON.parse(row.spec) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

class Sessions implements SessionRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(s: StoredSession): Promise<void> {
    await this.db
      .insertInto('mcp_sessions')
      .values({
        id: s.id,
        protocol_version: s.protocolVersion,
        client_info: JSON.stringify(s.clientInfo),
        client_capabilities: JSON.stringify(s.clientCapabilities),
        log_level: s.logLevel,
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
        principal: s.principal ?? null,
      })
      .execute();
  }

  async get(id: string): Promise<StoredSession | undefined> {
    const row = await this.db.selectFrom('mcp_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      protocolVersion: row.protocol_version,
      clientInfo: JSON.parse(row.client_info) as Record<string, unknown>,
      clientCapabilities: JSON.parse(row.client_capabilities) as Record<string, unknown>,
      logLevel: row.log_level,
      createdAt: Number(row.created_at),
      lastSeenAt: Number(row.last_seen_at),
      ...(row.principal ? { principal: row.principal } : {}),
    };
  }

  async setLogLevel(id: string, level: string): Promise<void> {
    await this.db.updateTable('mcp_sessions').set({ log_level: level }).where('id', '=', id).execute();
  }

  async touch(ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('mcp_sessions')
      .set({ last_seen_at: at })
      .where('id', 'in', [...ids])
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('mcp_events').where('session_id', '=', id).execute();
      await tx.deleteFrom('mcp_sessions').where('id', '=', id).execute();
    });
  }

  async expire(cutoff: number): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('mcp_sessions')
        .select('id')
        .where('last_seen_at', '<', cutoff)
        .execute();
      const ids = rows.map((r) => r.id);
      if (ids.length > 0) {
        await tx.deleteFrom('mcp_events').where('session_id', 'in', ids).execute();
        await tx.deleteFrom('mcp_sessions').where('id', 'in', ids).execute();
      }
      return ids;
    });
  }
}

class Events implements EventRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async append(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db
      .insertInto('mcp_events')
      .values(
        events.map((e) => ({
          stream_id: e.streamId,
          seq: e.seq,
          session_id: e.sessionId,
          message: e.message,
          created_at: e.createdAt,
        })),
      )
      .execute();
  }

  async after(streamId: string, afterSeq: number): Promise<StoredEvent[]> {
    const rows = await this.db
      .selectFrom('mcp_events')
      .selectAll()
      .where('stream_id', '=', streamId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      sessionId: r.session_id,
      streamId: r.stream_id,
      seq: Number(r.seq),
      message: r.message,
      createdAt: Number(r.created_at),
    }));
  }

  async sessionOf(streamId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('mcp_events')
      .select('session_id')
      .where('stream_id', '=', streamId)
      .limit(1)
      .executeTakeFirst();
    return row?.session_id;
  }

  async prune(cutoff: number): Promise<number> {
    const result = await this.db.deleteFrom('mcp_events').where('created_at', '<', cutoff).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
