/**
 * Secrets the gateway generates for itself (the admin token, the ledger's signing key) and keeps
 * in files of their own beside a SQLite store, outside the database: created once with mode 0600,
 * read on every later start.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** `<SQLite file>.<suffix>`; undefined for stores without a file (Postgres, `:memory:`). */
export function besideStore(store: string, suffix: string): string | undefined {
  if (!store.startsWith('sqlite:')) return undefined;
  const path = store.slice('sqlite:'.length);
  if (path === '' || path === ':memory:') return undefined;
  return `${resolve(path)}.${suffix}`;
}

export interface SecretFile {
  value: string;
  /** This call wrote the file (first start). */
  created: boolean;
  /** Others than the owner may read it. */
  exposed: boolean;
}

/** Read the secret in `file`, or create it with `make()` if the file is missing. */
export function readOrCreateSecret(file: string, make: () => string): SecretFile {
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length < 16) throw new Error(`${file} holds no usable secret (fewer than 16 characters)`);
    return { value, created: false, exposed: (statSync(file).mode & 0o077) !== 0 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = make();
  mkdirSync(dirname(file), { recursive: true });
  try {
    // `wx`: two processes starting at once must not overwrite each other's secret.
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreateSecret(file, make);
    throw err;
  }
  return { value, created: true, exposed: false };
}
