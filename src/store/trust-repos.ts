/**
 * Store repositories for identity, pinning and audit (API keys, tool pins, the ledger), written
 * once with Kysely for SQLite and Postgres like the rest of the store.
 */
import { SqliteAdapter, sql, type Kysely } from 'kysely';
import type {
  ApiKeyRepo,
  KeyCursor,
  LedgerCheckpoint,
  LedgerRepo,
  LedgerRow,
  PinRepo,
  PolicyRepo,
  StoredApiKey,
  StoredPin,
  StoredPolicy,
} from './types.js';

export interface TrustTables {
  api_keys: {
    id: string;
    hash: string;
    principal: string;
    groups: string;
    created_at: number;
    expires_at: number | null;
    revoked_at: number | null;
  };
  tool_pins: {
    upstream: string;
    tool: string;
    hash: string;
    definition: string;
    pinned_at: number;
    pending_hash: string | null;
    pending_definition: string | null;
    pending_since: number | null;
  };
  audit_ledger: { seq: number; time: number; entry: string; prev_hash: string; hash: string };
  audit_checkpoints: { seq: number; hash: string; time: number; signature: string | null };
  policies: { name: string; rule: string; created_at: number };
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

export class ApiKeys implements ApiKeyRepo {
  constructor(private readonly db: Kysely<TrustTables>) {}

  async insert(k: StoredApiKey): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: k.id,
        hash: k.hash,
        principal: k.principal,
        groups: JSON.stringify(k.groups),
        created_at: k.createdAt,
        expires_at: k.expiresAt,
        revoked_at: k.revokedAt,
      })
      .execute();
  }

  async get(id: string): Promise<StoredApiKey | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toKey(row);
  }

  async list(page?: { limit: number; after?: KeyCursor; principal?: string }): Promise<StoredApiKey[]> {
    let q = this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id');
    if (page?.principal !== undefined) q = q.where('principal', '=', page.principal);
    const after = page?.after;
    if (after)
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
        ]),
      );
    if (page) q = q.limit(page.limit);
    return (await q.execute()).map(toKey);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}

function toKey(row: TrustTables['api_keys']): StoredApiKey {
  return {
    id: row.id,
    hash: row.hash,
    principal: row.principal,
    groups: JSON.parse(row.groups) as string[],
    createdAt: Number(row.created_at),
    expiresAt: num(row.expires_at),
    revokedAt: num(row.revoked_at),
  };
}

export class Pins implements PinRepo {
  constructor(private readonly db: Kysely<TrustTables>) {}

  async list(upstream?: string): Promise<StoredPin[]> {
    let q = this.db.selectFrom('tool_pins').selectAll();
    if (upstream !== undefined) q = q.where('upstream', '=', upstream);
    const rows = await q.orderBy('upstream').orderBy('tool').execute();
    return rows.map(toPin);
  }

  async get(upstream: string, tool: string): Promise<StoredPin | undefined> {
    const row = await this.db
      .selectFrom('tool_pins')
      .selectAll()
      .where('upstream', '=', upstream)
      .where('tool', '=', tool)
      .executeTakeFirst();
    return row && toPin(row);
  }

  async insert(p: StoredPin): Promise<boolean> {
    const r = await this.db
      .insertInto('tool_pins')
      .values({
        upstream: p.upstream,
        tool: p.tool,
        hash: p.hash,
        definition: p.definition,
        pinned_at: p.pinnedAt,
        pending_hash: p.pendingHash,
        pending_definition: p.pendingDefinition,
        pending_since: p.pendingSince,
      })
      .onConflict((oc) => oc.columns(['upstream', 'tool']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async setPending(upstream: string, tool: string, hash: string, definition: string, at: number) {
    await this.db
      .updateTable('tool_pins')
      .set({ pending_hash: hash, pending_definition: definition, pending_since: at })
      .where('upstream', '=', upstream)
      .where('tool', '=', tool)
      .execute();
  }

  async approve(upstream: string, tool: string, hash: string, definition: string, at: number) {
    await this.db
      .updateTable('tool_pins')
      .set({
        hash,
        definition,
        pinned_at: at,
        pending_hash: null,
        pending_definition: null,
        pending_since: null,
      })
      .where('upstream', '=', upstream)
      .where('tool', '=', tool)
      .execute();
  }
}

function toPin(row: TrustTables['tool_pins']): StoredPin {
  return {
    upstream: row.upstream,
    tool: row.tool,
    hash: row.hash,
    definition: row.definition,
    pinnedAt: Number(row.pinned_at),
    pendingHash: row.pending_hash,
    pendingDefinition: row.pending_definition,
    pendingSince: num(row.pending_since),
  };
}

export class Ledger implements LedgerRepo {
  constructor(private readonly db: Kysely<TrustTables>) {}

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    const row = await this.db
      .selectFrom('audit_ledger')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && { seq: Number(row.seq), hash: row.hash };
  }

  async append(
    rows: readonly LedgerRow[],
    checkpoint?: LedgerCheckpoint,
    drop: readonly number[] = [],
  ): Promise<void> {
    if (rows.length === 0 && !checkpoint && drop.length === 0) return;
    const write = () =>
      this.db.transaction().execute(async (tx) => {
        if (drop.length > 0)
          await tx
            .deleteFrom('audit_checkpoints')
            .where('seq', 'in', [...drop])
            .execute();
        if (rows.length > 0) {
          await tx
            .insertInto('audit_ledger')
            .values(
              rows.map((r) => ({
                seq: r.seq,
                time: r.time,
                entry: r.entry,
                prev_hash: r.prevHash,
                hash: r.hash,
              })),
            )
            .execute();
        }
        if (checkpoint) {
          await tx
            .insertInto('audit_checkpoints')
            .values({
              seq: checkpoint.seq,
              hash: checkpoint.hash,
              time: checkpoint.time,
              signature: checkpoint.signature ?? null,
            })
            .onConflict((oc) => oc.column('seq').doNothing())
            .execute();
        }
      });
    if (checkpoint && this.db.getExecutor().adapter instanceof SqliteAdapter) await this.durably(write);
    else await write();
  }

  /**
   * SQLite runs with synchronous=NORMAL: a commit survives the process, not always the OS. The
   * head file outside the database names a checkpoint only after it is committed, so that commit
   * must not be the one an OS crash takes back (that would read as tampering). Checkpoints are
   * rare (every `audit.checkpointEvery` records), so they alone pay for FULL.
   */
  private async durably(write: () => Promise<void>): Promise<void> {
    const before = await sql<{ synchronous: number }>`pragma synchronous`.execute(this.db);
    const level = Number(before.rows[0]?.synchronous ?? 1);
    await sql`pragma synchronous = FULL`.execute(this.db);
    try {
      await write();
    } finally {
      await sql.raw(`pragma synchronous = ${level}`).execute(this.db);
    }
  }

  async after(afterSeq: number, limit: number): Promise<LedgerRow[]> {
    const rows = await this.db
      .selectFrom('audit_ledger')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toRow);
  }

  async firstSeqSince(time: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('audit_ledger')
      .select('seq')
      .where('time', '>=', time)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    return row && Number(row.seq);
  }

  async last(n: number): Promise<LedgerRow[]> {
    const rows = await this.db
      .selectFrom('audit_ledger')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(n)
      .execute();
    return rows.map(toRow).reverse();
  }

  async checkpoints(): Promise<LedgerCheckpoint[]> {
    const rows = await this.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      hash: r.hash,
      time: Number(r.time),
      ...(r.signature ? { signature: r.signature } : {}),
    }));
  }
}

function toRow(r: TrustTables['audit_ledger']): LedgerRow {
  return { seq: Number(r.seq), time: Number(r.time), entry: r.entry, prevHash: r.prev_hash, hash: r.hash };
}

/** Authorization rules added through the admin API (the config file's are not stored). */
export class Policies implements PolicyRepo {
  constructor(private readonly db: Kysely<TrustTables>) {}

  async list(): Promise<StoredPolicy[]> {
    const rows = await this.db
      .selectFrom('policies')
      .selectAll()
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return rows.map((r) => ({
      name: r.name,
      rule: JSON.parse(r.rule) as Record<string, unknown>,
      createdAt: Number(r.created_at),
    }));
  }

  async insert(p: StoredPolicy): Promise<boolean> {
    const r = await this.db
      .insertInto('policies')
      .values({ name: p.name, rule: JSON.stringify(p.rule), created_at: p.createdAt })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async delete(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('policies').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
