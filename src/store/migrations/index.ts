/**
 * Versioned schema migrations, applied in order at start-up by Kysely's Migrator. Never edit a
 * migration that has shipped; add the next one.
 *
 * Types are chosen to mean the same on both dialects: text for ids and JSON, bigint for epoch
 * milliseconds (read back as numbers, see the Postgres dialect).
 */
import type { Kysely, Migration } from 'kysely';

const m0001: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('upstreams')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('mcp_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('protocol_version', 'text', (c) => c.notNull())
      .addColumn('client_info', 'text', (c) => c.notNull())
      .addColumn('client_capabilities', 'text', (c) => c.notNull())
      .addColumn('log_level', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('mcp_sessions_last_seen').on('mcp_sessions').column('last_seen_at').execute();
    await db.schema
      .createTable('mcp_events')
      .addColumn('stream_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mcp_events_pk', ['stream_id', 'seq'])
      .execute();
    await db.schema.createIndex('mcp_events_created').on('mcp_events').column('created_at').execute();
    await db.schema.createIndex('mcp_events_session').on('mcp_events').column('session_id').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('mcp_events').execute();
    await db.schema.dropTable('mcp_sessions').execute();
    await db.schema.dropTable('upstreams').execute();
  },
};

/** The AI artifact catalog: entries added at runtime (CLI, admin API); the spec is the entry as validated. */
const m0003: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('catalog_entries')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('catalog_entries').execute();
  },
};

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0003_catalog': m0003,
};
