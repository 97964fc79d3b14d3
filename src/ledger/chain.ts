/**
 * The hash chain. Each row's hash is SHA-256 over the previous row's hash and the entry's
 * canonical JSON (which includes its own `seq`):
 *
 *   hash(n) = sha256hex( hash(n-1) + "\n" + canonicalJson(entry(n)) ),   hash(0) = GENESIS
 *
 * so editing, removing or reordering any row breaks the chain at that row. Checkpoints record
 * (seq, hash) pairs along the way, signed with a key kept outside the database; they catch a chain
 * cut short at its end, and the head file (the latest signed checkpoint, also outside the
 * database) catches a cut that took the checkpoints with it — see verify.ts.
 */
import type { LedgerCheckpoint, LedgerRow } from '../store/types.js';
import { canonicalJson, sha256Hex } from './canonical.js';

export const GENESIS = '0'.repeat(64);

export function chainHash(prevHash: string, entryJson: string): string {
  return sha256Hex(`${prevHash}\n${entryJson}`);
}

/** Seal entries onto the chain after `head`. */
export function seal(
  head: { seq: number; hash: string },
  entries: readonly { time: number; entry: Record<string, unknown> }[],
): LedgerRow[] {
  const rows: LedgerRow[] = [];
  let { seq, hash } = head;
  for (const e of entries) {
    seq += 1;
    const entry = canonicalJson({ ...e.entry, seq });
    const next = chainHash(hash, entry);
    rows.push({ seq, time: e.time, entry, prevHash: hash, hash: next });
    hash = next;
  }
  return rows;
}

export type Problem = 'edited' | 'removed' | 'reordered' | 'truncated' | 'forged';

export type VerifyResult =
  | {
      ok: true;
      count: number;
      head: { seq: number; hash: string };
      checkpoints: number;
      /** Checkpoints whose signature verified, the head file's seq, what could not be checked. */
      signed?: number;
      headFile?: { seq: number };
      notes?: string[];
    }
  | {
      ok: false;
      count: number;
      seq: number;
      problem: Problem;
      detail: string;
      /** For a truncation: the records the database no longer holds. */
      missing?: { from: number; to: number };
    };

/**
 * Walk the rows in seq order and name the first record that was edited, removed or reordered.
 * Rows come in pages so a long ledger never sits in memory at once.
 */
export async function verifyChain(
  pages: AsyncIterable<readonly LedgerRow[]>,
  checkpoints: readonly LedgerCheckpoint[],
): Promise<VerifyResult> {
  const marks = new Map(checkpoints.map((c) => [c.seq, c.hash]));
  let prev = { seq: 0, hash: GENESIS };
  let count = 0;
  for await (const rows of pages) {
    for (const row of rows) {
      const expected = prev.seq + 1;
      let entrySeq: unknown;
      try {
        entrySeq = (JSON.parse(row.entry) as { seq?: unknown }).seq;
      } catch {
        return bad(count, row.seq, 'edited', `record ${row.seq} is not valid JSON`);
      }
      if (row.seq !== expected) {
        return bad(
          count,
          expected,
          'removed',
          `record ${expected} is missing (the next record is ${row.seq})`,
        );
      }
      if (entrySeq !== row.seq) {
        return bad(
          count,
          row.seq,
          'reordered',
          `position ${row.seq} holds record ${String(entrySeq)}: records were moved`,
        );
      }
      if (chainHash(row.prevHash, row.entry) !== row.hash) {
        return bad(count, row.seq, 'edited', `record ${row.seq} does not match its hash: it was edited`);
      }
      if (row.prevHash !== prev.hash) {
        // The row is self-consistent but does not follow its predecessor: the predecessor was
        // rewritten (hash recomputed), or this row came from elsewhere in the chain.
        const suspect = expected > 1 ? expected - 1 : expected;
        return bad(
          count,
          suspect,
          expected > 1 ? 'edited' : 'reordered',
          `record ${row.seq} does not follow record ${expected - 1}: record ${suspect} was edited or replaced`,
        );
      }
      const mark = marks.get(row.seq);
      if (mark !== undefined && mark !== row.hash) {
        return bad(count, row.seq, 'edited', `record ${row.seq} differs from checkpoint ${row.seq}`);
      }
      prev = { seq: row.seq, hash: row.hash };
      count++;
    }
  }
  const beyond = checkpoints.find((c) => c.seq > prev.seq);
  if (beyond) {
    return bad(
      count,
      prev.seq + 1,
      'truncated',
      `record ${prev.seq + 1} is missing: a checkpoint covers records up to ${beyond.seq}`,
    );
  }
  return { ok: true, count, head: prev, checkpoints: checkpoints.length };
}

function bad(count: number, seq: number, problem: Problem, detail: string): VerifyResult {
  return { ok: false, count, seq, problem, detail };
}
