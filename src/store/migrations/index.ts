/**
 * Versioned schema migrations, applied in order at start-up by Kysely's Migrator. Never edit a
 * migration that has shipped; add the next one.
 *
 * Types are chosen to mean the same on both dialects: text for ids and JSON, bigint for epoch
 * milliseconds (read back as numbers, see the Postgres dialect).
 */
import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

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

/**
 * A2A tasks and push-notification configs, in the layout the A2A SDK's DatabaseTaskStore and
 * DatabasePushNotificationStore read and write (the SDK's `a2a-db` schema, under our table names).
 * Ids compare byte-wise on both dialects so paging is stable.
 */
const m0002: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    const id = sql.raw(postgres ? 'varchar(255) collate "C"' : 'varchar(255) collate binary');
    await db.schema
      .createTable('a2a_tasks')
      .addColumn('tenant', id, (c) => c.notNull())
      .addColumn('owner', id, (c) => c.notNull())
      .addColumn('id', id, (c) => c.notNull())
      .addColumn('context_id', id, (c) => c.notNull())
      .addColumn('status_last_updated', 'bigint', (c) => c.notNull())
      .addColumn('status_state', id)
      .addColumn('status', 'text')
      .addColumn('artifacts', 'text')
      .addColumn('history', 'text')
      .addColumn('metadata', 'text')
      .addColumn('protocol_version', 'varchar(255)')
      .addPrimaryKeyConstraint('a2a_tasks_pkey', ['tenant', 'owner', 'id'])
      .execute();
    await db.schema
      .createIndex('a2a_tasks_scope_updated_idx')
      .on('a2a_tasks')
      .columns(['tenant', 'owner', 'status_last_updated', 'id'])
      .execute();
    await db.schema
      .createIndex('a2a_tasks_scope_context_updated_idx')
      .on('a2a_tasks')
      .columns(['tenant', 'owner', 'context_id', 'status_last_updated', 'id'])
      .execute();
    await db.schema
      .createTable('a2a_push_configs')
      .addColumn('tenant', id, (c) => c.notNull())
      .addColumn('owner', id, (c) => c.notNull())
      .addColumn('task_id', id, (c) => c.notNull())
      .addColumn('config_id', id, (c) => c.notNull())
      .addColumn('config_data', 'text')
      .addColumn('protocol_version', 'varchar(255)')
      .addPrimaryKeyConstraint('a2a_push_configs_pkey', ['tenant', 'owner', 'task_id', 'config_id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('a2a_push_configs').execute();
    await db.schema.dropTable('a2a_tasks').execute();
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

/**
 * Identity, pinning and audit (issue 4): API keys (hashed), tool-definition pins, the hash-chained
 * ledger and its checkpoints; sessions remember the principal that opened them.
 */
const m0004: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('principal', 'text', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createTable('tool_pins')
      .addColumn('upstream', 'text', (c) => c.notNull())
      .addColumn('tool', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('pinned_at', 'bigint', (c) => c.notNull())
      .addColumn('pending_hash', 'text')
      .addColumn('pending_definition', 'text')
      .addColumn('pending_since', 'bigint')
      .addPrimaryKeyConstraint('tool_pins_pk', ['upstream', 'tool'])
      .execute();
    await db.schema
      .createTable('audit_ledger')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('entry', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_ledger_time').on('audit_ledger').column('time').execute();
    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('time', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('mcp_sessions').addColumn('principal', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('mcp_sessions').dropColumn('principal').execute();
    await db.schema.dropTable('audit_checkpoints').execute();
    await db.schema.dropTable('audit_ledger').execute();
    await db.schema.dropTable('tool_pins').execute();
    await db.schema.dropTable('api_keys').execute();
  },
};

/** Authorization rules added through the admin API. */
const m0005: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('policies')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('policies').execute();
  },
};

const m0006: Migration = {
  async up(db: Kysely<unknown>) {
    // One row per message of an agent conversation (A2A contextId), in order.
    await db.schema
      .createTable('agent_messages')
      .addColumn('context_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('agent_messages_pk', ['context_id', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('agent_messages').execute();
  },
};

/** Who each task of a proxied A2A agent belongs to (the upstream keeps the task, not its owner). */
const m0007: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('a2a_task_owners')
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('context_id', 'text', (c) => c.notNull())
      .addColumn('principal', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('a2a_task_owners_pk', ['agent', 'task_id'])
      .execute();
    await db.schema
      .createIndex('a2a_task_owners_context')
      .on('a2a_task_owners')
      .columns(['agent', 'context_id'])
      .execute();
    await db.schema
      .createIndex('a2a_task_owners_created')
      .on('a2a_task_owners')
      .column('created_at')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('a2a_task_owners').execute();
  },
};

/**
 * Checkpoints are signed (HMAC-SHA256 with a key kept outside the database) so that one written
 * by anyone else is recognised; rows written before have none.
 */
const m0008: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('audit_checkpoints').addColumn('signature', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('audit_checkpoints').dropColumn('signature').execute();
  },
};

/**
 * Retention of A2A tasks (a2a.taskRetentionMs): the periodic prune looks for finished tasks by
 * state and status time, which the 0002 indexes (scoped by tenant and owner) cannot answer.
 */
const m0009: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('a2a_tasks_state_updated_idx')
      .on('a2a_tasks')
      .columns(['status_state', 'status_last_updated'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('a2a_tasks_state_updated_idx').execute();
  },
};

/** Paging through API keys (GET /admin/keys) in creation order, optionally one principal's. */
const m0010: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('api_keys_created_idx')
      .on('api_keys')
      .columns(['created_at', 'id'])
      .execute();
    await db.schema
      .createIndex('api_keys_principal_idx')
      .on('api_keys')
      .columns(['principal', 'created_at', 'id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('api_keys_principal_idx').execute();
    await db.schema.dropIndex('api_keys_created_idx').execute();
  },
};

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_a2a': m0002,
  '0003_catalog': m0003,
  '0004_trust': m0004,
  '0005_policies': m0005,
  '0006_agents': m0006,
  '0007_a2a_task_owners': m0007,
  '0008_ledger_signatures': m0008,
  '0009_a2a_task_retention': m0009,
  '0010_api_key_pages': m0010,
};
