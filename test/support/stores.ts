/**
 * Run a test suite once per store dialect (Kysely's practice): SQLite in a temp file, and
 * Postgres in a fresh schema (dropped with the run's other schemas when the run ends, see
 * global-setup.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';

export interface StoreTarget {
  dialect: 'sqlite' | 'postgres';
  /** A fresh, empty database URL for one test. */
  freshUrl(): Promise<string>;
  cleanup(): Promise<void>;
}

export function postgresUrl(): string | undefined {
  return process.env.SWITCHYARD_TEST_POSTGRES || undefined;
}

export function sqliteTarget(): StoreTarget {
  const dir = mkdtempSync(join(tmpdir(), 'swy-store-'));
  let n = 0;
  return {
    dialect: 'sqlite',
    freshUrl: async () => `sqlite:${join(dir, `db${n++}.sqlite`)}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresTarget(baseUrl: string): StoreTarget {
  return {
    dialect: 'postgres',
    async freshUrl() {
      const prefix = process.env.SWITCHYARD_TEST_SCHEMA_PREFIX ?? 'swy_t_';
      const schema = `${prefix}${randomBytes(5).toString('hex')}`;
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`create schema ${schema}`);
      await client.end();
      const u = new URL(baseUrl);
      u.searchParams.set('options', `-c search_path=${schema}`);
      return u.toString();
    },
    async cleanup() {
      // Schemas are dropped at the end of the run (global-setup.ts), never while other test
      // files may be introspecting the catalog.
    },
  };
}

/** `describe` once per dialect; the Postgres run is skipped (with a notice) only outside CI. */
export function describeEachStore(name: string, body: (target: () => StoreTarget) => void): void {
  describe(`${name} [sqlite]`, () => {
    const t = sqliteTarget();
    body(() => t);
  });
  const pgUrl = postgresUrl();
  describe.skipIf(!pgUrl)(`${name} [postgres]`, () => {
    const t = postgresTarget(pgUrl ?? '');
    body(() => t);
  });
}

export interface StoreFixture {
  /** A fresh, migrated store for the current test (a test may replace it; the last one is closed). */
  store: Store;
  target: StoreTarget;
}

/** `describeEachStore` with a fresh store per test, closed after it, databases dropped at the end. */
export function describeEachStoreFresh(name: string, body: (db: StoreFixture) => void): void {
  describeEachStore(name, (target) => {
    const db = {} as StoreFixture;
    beforeEach(async () => {
      db.target = target();
      db.store = await openStore(await db.target.freshUrl());
    });
    afterEach(async () => {
      await db.store.close();
    });
    afterAll(async () => {
      await target().cleanup();
    });
    body(db);
  });
}

/** Run one SQL statement directly against a store URL (tests that tamper with stored rows). */
export async function rawSql(url: string, text: string, params: unknown[] = []): Promise<void> {
  if (url.startsWith('sqlite:')) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(url.slice('sqlite:'.length));
    try {
      db.prepare(text).run(...params);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      text.replace(
        /\?/g,
        (() => {
          let i = 0;
          return () => `$${++i}`;
        })(),
      ),
      params,
    );
  } finally {
    await client.end();
  }
}
