/**
 * `switchyard keys create|list|revoke`: API keys in the configured store. A created key is
 * printed once; only its hash is kept. A running gateway sees a revocation made here within
 * `auth.keyCacheMs` (through the admin API: at once).
 */
import { createKey, describeKey } from '../policy/keys.js';
import { fail, withStore } from './shared.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;

export async function keysCreate(opts: {
  config?: string;
  principal: string;
  group?: string[];
  expires?: string;
  json?: boolean;
}): Promise<void> {
  if (!NAME.test(opts.principal)) fail(`--principal: expected 1-48 characters of A-Z a-z 0-9 _ -`);
  const groups = opts.group ?? [];
  for (const g of groups)
    if (!NAME.test(g)) fail(`--group ${g}: expected 1-48 characters of A-Z a-z 0-9 _ -`);
  const expiresAt = opts.expires === undefined ? null : parseExpiry(opts.expires);
  const { key, record } = await withStore(opts.config, (store) =>
    createKey(store.apiKeys, { principal: opts.principal, groups, expiresAt }),
  );
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...describeKey(record), key })}\n`);
    return;
  }
  process.stdout.write(
    `${key}\n\n` +
      `API key ${record.id} for principal ${record.principal}` +
      `${groups.length ? ` (groups ${groups.join(', ')})` : ''}` +
      `${expiresAt ? `, expires ${new Date(expiresAt).toISOString()}` : ''}.\n` +
      'This is the only time the key is shown: store it now. Send it as Authorization: Bearer <key>.\n',
  );
}

export async function keysList(opts: { config?: string; json?: boolean }): Promise<void> {
  const keys = await withStore(opts.config, (store) => store.apiKeys.list());
  const rows = keys.map((k) => describeKey(k));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ keys: rows }, null, 2)}\n`);
    return;
  }
  const out = ['ID                PRINCIPAL         STATUS   GROUPS            EXPIRES'];
  for (const r of rows) {
    out.push(
      `${r.id}  ${r.principal.padEnd(16)}  ${r.status.padEnd(7)}  ${(r.groups.join(',') || '-').padEnd(16)}  ${r.expiresAt ?? 'never'}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export async function keysRevoke(id: string, opts: { config?: string }): Promise<void> {
  const done = await withStore(opts.config, (store) => store.apiKeys.revoke(id, Date.now()));
  if (!done) fail(`no active API key with id ${id}`);
  process.stdout.write(`revoked ${id}\n`);
}

/** `30d`, `12h`, `90m` from now, or a date / ISO time. */
export function parseExpiry(text: string, now = Date.now()): number {
  const rel = /^(\d+)(m|h|d)$/.exec(text);
  if (rel)
    return now + Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (Number.isNaN(t)) fail(`--expires: expected a duration (30d, 12h) or a date; got ${text}`);
  if (t <= now) fail(`--expires: ${text} is in the past`);
  return t;
}
