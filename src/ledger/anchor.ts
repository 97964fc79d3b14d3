/**
 * What anchors the ledger outside its database: the key that signs checkpoints and the head file
 * that names the latest one. Both are found the same way by the gateway and by `switchyard audit`:
 *
 *   key        audit.signingKey, else audit.signingKeyFile, else — for a SQLite file store —
 *              `<db>.ledger.key` beside it (32 random bytes, created on first start, mode 0600)
 *   head file  audit.headFile, else `<db>.ledger.head` beside a SQLite file store, else beside
 *              audit.signingKeyFile (`ledger.key` → `ledger.head`)
 *
 * A Postgres or in-memory store with none of these configured has neither: the gateway says once
 * what that leaves undetected.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readOrCreateSecret } from '../store/secret-file.js';
import type { Store } from '../store/types.js';

export interface AnchorConfig {
  signingKey?: string | undefined;
  signingKeyFile?: string | undefined;
  headFile?: string | undefined;
}

export interface LedgerAnchor {
  key?: Buffer;
  headFile?: string;
  /** Where the key came from (never the key itself): for logs and `audit verify`. */
  keySource: 'audit.signingKey' | 'audit.signingKeyFile' | 'generated file' | 'none';
}

export const NO_ANCHOR: LedgerAnchor = { keySource: 'none' };

/** Shorter keys are refused: the HMAC is only as strong as the key. */
export const MIN_KEY_LENGTH = 16;

/**
 * `create`: generate the key file of a SQLite store when it is missing (the gateway does, on its
 * first start; `audit verify` only reads).
 */
export function resolveAnchor(
  audit: AnchorConfig,
  store: Pick<Store, 'kind' | 'location'>,
  opts: { create: boolean },
): LedgerAnchor {
  const db = sqliteFile(store);
  const headFile = audit.headFile
    ? resolve(audit.headFile)
    : db
      ? `${db}.ledger.head`
      : audit.signingKeyFile
        ? resolve(audit.signingKeyFile).replace(/(\.key)?$/, '.head')
        : undefined;
  const at = headFile ? { headFile } : {};
  if (audit.signingKey)
    return { key: keyOf(audit.signingKey, 'audit.signingKey'), keySource: 'audit.signingKey', ...at };
  if (audit.signingKeyFile) {
    const file = resolve(audit.signingKeyFile);
    return {
      key: keyOf(readKeyFile(file, 'audit.signingKeyFile'), file),
      keySource: 'audit.signingKeyFile',
      ...at,
    };
  }
  if (!db) return { keySource: 'none', ...at };
  const file = `${db}.ledger.key`;
  const text = opts.create
    ? readOrCreateSecret(file, () => randomBytes(32).toString('hex')).value
    : readKeyFile(file, 'ledger key', true);
  if (text === undefined) return { keySource: 'none', ...at };
  return { key: keyOf(text, file), keySource: 'generated file', ...at };
}

/** What tampering goes unnoticed with this anchor, one warning each (empty: nothing). */
export function anchorGaps(anchor: LedgerAnchor): string[] {
  const gaps: string[] = [];
  if (!anchor.key) {
    gaps.push(
      'ledger checkpoints are not signed: a forged checkpoint, or the newest records deleted together ' +
        'with their checkpoints, cannot be detected; set audit.signingKey or audit.signingKeyFile',
    );
  } else if (!anchor.headFile) {
    gaps.push(
      'the ledger has no head file: the newest records deleted together with their checkpoints cannot ' +
        'be detected; set audit.headFile',
    );
  }
  return gaps;
}

function sqliteFile(store: Pick<Store, 'kind' | 'location'>): string | undefined {
  if (store.kind !== 'sqlite') return undefined;
  const path = store.location.slice('sqlite:'.length);
  return path === ':memory:' || path === '' ? undefined : path;
}

function keyOf(text: string, source: string): Buffer {
  if (text.length < MIN_KEY_LENGTH) {
    throw new Error(`${source}: the ledger signing key must be at least ${MIN_KEY_LENGTH} characters`);
  }
  return Buffer.from(text, 'utf8');
}

function readKeyFile(file: string, what: string): string;
function readKeyFile(file: string, what: string, optional: true): string | undefined;
function readKeyFile(file: string, what: string, optional?: true): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return undefined;
    throw new Error(`${what}: cannot read ${file} (${code ?? 'error'})`, { cause: err });
  }
}
