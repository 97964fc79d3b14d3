/** Reading the ledger back: paged scans for verify and export. */
import type { LedgerRepo, LedgerRow } from '../store/types.js';

const PAGE = 1000;

/** Every row after `afterSeq`, a page at a time. */
export async function* pagesOf(repo: LedgerRepo, afterSeq = 0): AsyncGenerator<LedgerRow[]> {
  let cursor = afterSeq;
  for (;;) {
    const rows = await repo.after(cursor, PAGE);
    if (rows.length === 0) return;
    yield rows;
    cursor = rows.at(-1)!.seq;
    if (rows.length < PAGE) return;
  }
}

/** JSON lines: each row's entry with its chain fields, from `since` (epoch ms) on. */
export async function* exportLedger(repo: LedgerRepo, since?: number): AsyncGenerator<string> {
  let after = 0;
  if (since !== undefined) {
    const first = await repo.firstSeqSince(since);
    if (first === undefined) return;
    after = first - 1;
  }
  for await (const rows of pagesOf(repo, after)) {
    for (const r of rows) {
      yield `{"seq":${r.seq},"time":${r.time},"hash":"${r.hash}","prevHash":"${r.prevHash}","entry":${r.entry}}`;
    }
  }
}
