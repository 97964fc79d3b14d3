/**
 * Checking the ledger against what is kept outside its database. `inspectLedger` is what the
 * writer runs when it opens (cheap: the head, the checkpoints, one row per clue); `verifyLedger`
 * adds the walk over the whole chain (`switchyard audit verify`).
 *
 * Tampering found here:
 *   forged     a checkpoint (or the head file) the ledger key did not sign
 *   truncated  the database ends before a signed checkpoint or the head file says it went on, or
 *              the record the head file names was replaced
 */
import type { LedgerCheckpoint, LedgerRepo } from '../store/types.js';
import type { LedgerAnchor } from './anchor.js';
import { GENESIS, verifyChain, type Problem, type VerifyResult } from './chain.js';
import { readHead } from './head-file.js';
import { pagesOf } from './read.js';
import { checkSignatures, signatureOk } from './signature.js';

export interface Finding {
  problem: Extract<Problem, 'forged' | 'truncated'>;
  /** The first record (or the checkpoint) concerned. */
  seq: number;
  detail: string;
  /** Records the database no longer holds as they were written. */
  missing?: { from: number; to: number };
}

export interface LedgerState {
  head: { seq: number; hash: string };
  checkpoints: LedgerCheckpoint[];
  /** Checkpoints the key did not sign. */
  forged: LedgerCheckpoint[];
  /** Checkpoints that no longer hold (forged, beyond the head, or naming a replaced record). */
  stale: LedgerCheckpoint[];
  /** The latest checkpoint the key signed (or, without a key, the latest one), if any holds. */
  sealed: LedgerCheckpoint | undefined;
  /** The head file's record, when there is a usable one. */
  headRecord: LedgerCheckpoint | undefined;
  signed: number;
  unchecked: number;
  findings: Finding[];
}

export async function inspectLedger(repo: LedgerRepo, anchor: LedgerAnchor): Promise<LedgerState> {
  const head = (await repo.head()) ?? { seq: 0, hash: GENESIS };
  const checkpoints = await repo.checkpoints();
  const { forged, signed, unchecked } = checkSignatures(anchor.key, checkpoints);
  const findings: Finding[] = forged.map((c) => ({
    problem: 'forged',
    seq: c.seq,
    detail:
      c.signature === undefined
        ? `checkpoint ${c.seq} is unsigned although earlier ones are signed: it was written without the ledger key`
        : `checkpoint ${c.seq} does not carry the ledger key's signature: it was forged or altered`,
  }));
  const stale = new Set(forged);
  const valid = checkpoints.filter((c) => !stale.has(c));

  let witness: LedgerCheckpoint | undefined;
  if (anchor.headFile) {
    const read = await readHead(anchor.headFile);
    if (read.state === 'invalid') {
      findings.push(forgedHead(anchor.headFile, `it is ${read.reason}`));
    } else if (read.state === 'ok') {
      // An unsigned head file only adds a constraint, so it is used; a wrong signature is forgery.
      const cp = read.checkpoint;
      if (anchor.key && cp.signature !== undefined && !signatureOk(anchor.key, cp)) {
        findings.push(forgedHead(anchor.headFile, "it does not carry the ledger key's signature", cp.seq));
      } else witness = cp;
    }
  }

  const beyond = valid.filter((c) => c.seq > head.seq);
  for (const c of beyond) stale.add(c);
  const reach = Math.max(beyond.at(-1)?.seq ?? 0, witness?.seq ?? 0);
  if (reach > head.seq) {
    const by = witness?.seq === reach ? `the head file (${anchor.headFile})` : `checkpoint ${reach}`;
    findings.push({
      problem: 'truncated',
      seq: head.seq + 1,
      detail: `records ${range(head.seq + 1, reach)} are missing: ${by} records the chain up to ${reach}, the database ends at ${head.seq}`,
      missing: { from: head.seq + 1, to: reach },
    });
  } else if (witness && !(await holds(repo, witness))) {
    // The record is there but different: the chain was cut and rewritten. Back to the latest
    // checkpoint that still holds; those in between name replaced records too.
    let from = 1;
    for (const c of valid.filter((v) => v.seq < witness.seq).reverse()) {
      if (await holds(repo, c)) {
        from = c.seq + 1;
        break;
      }
      stale.add(c);
    }
    findings.push({
      problem: 'truncated',
      seq: from,
      detail: `records ${range(from, witness.seq)} were replaced: record ${witness.seq} differs from the head file (${anchor.headFile})`,
      missing: { from, to: witness.seq },
    });
  }

  const holding = valid.filter((c) => !stale.has(c) && (anchor.key ? c.signature !== undefined : true));
  return {
    head,
    checkpoints,
    forged,
    stale: checkpoints.filter((c) => stale.has(c)),
    sealed: holding.at(-1),
    headRecord: witness,
    signed,
    unchecked,
    findings,
  };
}

/** The chain walk, then the checks against the key and the head file. */
export async function verifyLedger(repo: LedgerRepo, anchor: LedgerAnchor): Promise<VerifyResult> {
  const state = await inspectLedger(repo, anchor);
  // Checkpoints beyond the head are the inspection's to report, with the whole missing range.
  const marks = state.checkpoints.filter((c) => !state.forged.includes(c) && c.seq <= state.head.seq);
  const chain = await verifyChain(pagesOf(repo), marks);
  if (!chain.ok) return chain;
  const [first] = state.findings;
  if (first) {
    return {
      ok: false,
      count: chain.count,
      seq: first.seq,
      problem: first.problem,
      detail: first.detail,
      ...(first.missing ? { missing: first.missing } : {}),
    };
  }
  return {
    ...chain,
    checkpoints: state.checkpoints.length,
    signed: state.signed,
    ...(state.headRecord ? { headFile: { seq: state.headRecord.seq } } : {}),
    notes: [
      ...(anchor.key
        ? []
        : [
            `no ledger key: ${state.unchecked} checkpoint signatures not checked (audit.signingKey/signingKeyFile)`,
          ]),
      ...(anchor.headFile
        ? []
        : ['no head file: a cut at the end together with its checkpoints goes unseen']),
    ],
  };
}

async function holds(repo: LedgerRepo, cp: { seq: number; hash: string }): Promise<boolean> {
  const [row] = await repo.after(cp.seq - 1, 1);
  return row?.seq === cp.seq && row.hash === cp.hash;
}

function forgedHead(file: string, why: string, seq = 0): Finding {
  return { problem: 'forged', seq, detail: `the head file ${file} was not written by the gateway: ${why}` };
}

function range(from: number, to: number): string {
  return from === to ? `${from}` : `${from}–${to}`;
}
