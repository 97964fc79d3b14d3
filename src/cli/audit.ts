/**
 * `switchyard audit verify|acknowledge|export|tail`: read the ledger in the configured store.
 * verify exits 1 and names the first record that was edited, removed or reordered, a checkpoint
 * the ledger key did not sign, or records cut off the end (against the head file); acknowledge
 * records such a finding on the chain so the gateway starts again.
 */
import { userInfo } from 'node:os';
import { exportLedger, LedgerWriter, pagesOf, resolveAnchor, verifyLedger } from '../ledger/index.js';
import { createLogger } from '../telemetry/logger.js';
import { fail, withStore } from './shared.js';

export async function auditVerify(opts: { config?: string; json?: boolean }): Promise<void> {
  const result = await withStore(opts.config, async (store, config) =>
    verifyLedger(store.ledger, resolveAnchor(config.audit, store, { create: false })),
  );
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (result.ok) {
    const signed = result.signed ? ` (${result.signed} signed)` : '';
    const head = result.headFile ? `, head file at ${result.headFile.seq}` : '';
    process.stdout.write(
      `ledger ok: ${result.count} records, ${result.checkpoints} checkpoints${signed}${head}, head ${result.head.seq} ${result.head.hash}\n`,
    );
    for (const note of result.notes ?? []) process.stdout.write(`note: ${note}\n`);
  } else {
    process.stdout.write(
      `ledger BROKEN at record ${result.seq} (${result.problem}): ${result.detail}\n` +
        `${result.count} records before it verified\n`,
    );
  }
  if (!result.ok) process.exitCode = 1;
}

/** Run with the gateway stopped: the chain has one writer. */
export async function auditAcknowledge(opts: { config?: string; reason?: string }): Promise<void> {
  await withStore(opts.config, async (store, config) => {
    const anchor = resolveAnchor(config.audit, store, { create: true });
    const writer = new LedgerWriter(store.ledger, config.audit, createLogger('warn'), anchor);
    const findings = await writer.acknowledge(`cli:${osUser()}`, opts.reason);
    if (findings.length === 0) {
      process.stdout.write(
        'nothing to acknowledge: the ledger holds what its checkpoints and head file record\n',
      );
      return;
    }
    for (const f of findings) process.stdout.write(`acknowledged (${f.problem}): ${f.detail}\n`);
    const head = await store.ledger.head();
    process.stdout.write(
      `recorded alert ledger_tampering_acknowledged as record ${head?.seq}; checkpoint signed` +
        `${anchor.headFile ? ` and head file ${anchor.headFile} re-sealed` : ''}\n`,
    );
  });
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export async function auditExport(opts: { config?: string; since?: string; format?: string }) {
  const format = opts.format ?? 'jsonl';
  if (format !== 'jsonl') fail(`unsupported --format ${format} (jsonl is supported)`);
  const since = opts.since === undefined ? undefined : parseSince(opts.since);
  await withStore(opts.config, async (store) => {
    for await (const line of exportLedger(store.ledger, since)) {
      if (!process.stdout.write(`${line}\n`)) await new Promise((r) => process.stdout.once('drain', r));
    }
  });
}

export async function auditTail(opts: { config?: string; lines?: string; follow?: boolean }) {
  const n = Number(opts.lines ?? 20);
  if (!Number.isInteger(n) || n < 1) fail(`--lines must be a positive integer, got ${opts.lines}`);
  await withStore(opts.config, async (store) => {
    let last = 0;
    for (const r of await store.ledger.last(n)) {
      process.stdout.write(`${r.entry}\n`);
      last = r.seq;
    }
    if (!opts.follow) return;
    // --follow polls until interrupted (Ctrl-C ends the process).
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      for await (const rows of pagesOf(store.ledger, last)) {
        for (const r of rows) process.stdout.write(`${r.entry}\n`);
        last = rows.at(-1)!.seq;
      }
    }
  });
}

/** `2026-01-31`, an ISO time, epoch ms, or a duration back from now (`15m`, `2h`, `7d`). */
export function parseSince(text: string, now = Date.now()): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(text);
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(rel[1]) * unit;
  }
  if (/^\d{10,}$/.test(text)) return Number(text);
  const t = Date.parse(text);
  if (Number.isNaN(t))
    fail(`--since: expected a date, an ISO time, epoch ms or a duration like 2h; got ${text}`);
  return t;
}
