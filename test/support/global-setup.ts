/**
 * Runs once before the test files: finds out whether Postgres is reachable so that every store
 * test can run on both dialects. In CI (CI=true) a missing Postgres is a failure, not a skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export default async function setup(): Promise<() => Promise<void>> {
  const url = process.env.SWITCHYARD_TEST_POSTGRES ?? DEFAULT_PG_URL;
  // Test schemas of this run share a prefix and are dropped together when the run ends: dropping
  // one while another test file's migration introspects the catalog makes that query fail.
  const prefix = `swy_t_${randomBytes(3).toString('hex')}_`;
  process.env.SWITCHYARD_TEST_SCHEMA_PREFIX = prefix;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    process.env.SWITCHYARD_TEST_POSTGRES = url;
  } catch (err) {
    if (process.env.CI) {
      throw new Error(`CI needs Postgres at ${url} for the store tests: ${(err as Error).message}`);
    }
    process.env.SWITCHYARD_TEST_POSTGRES = '';
    console.warn(
      `\n[switchyard tests] Postgres is not reachable at ${url}; Postgres variants of the store tests are skipped.\n` +
        `  Set SWITCHYARD_TEST_POSTGRES=postgres://… to run them.\n`,
    );
  } finally {
    await client.end().catch(() => {});
  }
  return async () => {
    if (!process.env.SWITCHYARD_TEST_POSTGRES) return;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ nspname: string }>(
        'select nspname from pg_namespace where starts_with(nspname, $1)',
        [prefix],
      );
      for (const r of rows) await c.query(`drop schema if exists "${r.nspname}" cascade`);
    } finally {
      await c.end();
    }
  };
}
