/**
 * Opening a store from its URL (`sqlite:PATH`, `sqlite::memory:`, `postgres://…`): choose the
 * Kysely dialect, apply migrations, hand back the dialect-neutral Store.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely';
import { migrations } from './migrations/index.js';
import { KyselyStore, type Tables } from './kysely-store.js';
import type { Store } from './types.js';

export async function openStore(url: string): Promise<Store> {
  const { dialect, kind, location } = await createDialect(url);
  const db = new Kysely<Tables>({ dialect });
  try {
    await migrate(db, kind);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw new Error(`store ${location}: ${(err as Error).message}`, { cause: err });
  }
  return new KyselyStore(db, kind, location);
}

async function createDialect(
  url: string,
): Promise<{ dialect: Dialect; kind: Store['kind']; location: string }> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    const memory = path === ':memory:' || path === '';
    const file = memory ? ':memory:' : resolve(path);
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    const sqlite = new Database(file);
    // WAL lets readers proceed during writes; NORMAL is durable across application crashes
    // (only an OS crash can lose the last transactions), which suits a gateway's state.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    return { dialect: new SqliteDialect({ database: sqlite }), kind: 'sqlite', location: `sqlite:${file}` };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Loaded only when used: an embedded (SQLite) gateway starts without the Postgres driver.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // Epoch milliseconds are stored as bigint; they fit a JS number exactly.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === pg.types.builtins.INT8
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', () => {});
    return { dialect: new PostgresDialect({ pool }), kind: 'postgres', location: redactUrl(url) };
  }
  throw new Error(`unsupported store URL (expected sqlite:PATH or postgres://…): ${redactUrl(url)}`);
}

async function migrate(db: Kysely<Tables>, kind: Store['kind']): Promise<void> {
  // Kysely looks for its bookkeeping tables in `public` unless told otherwise; keep them beside
  // ours in whatever schema the connection's search_path selects.
  const schema =
    kind === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
  const migrator = new Migrator({
    db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'swy_migrations',
    migrationLockTableName: 'swy_migrations_lock',
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db` */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
