/**
 * Checkpoint signatures: HMAC-SHA256 over (seq, hash, time) with a key kept outside the database.
 * Whoever can write the database but not read the key cannot add, alter or re-sign a checkpoint
 * (or the head file, which holds the same record).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { LedgerCheckpoint } from '../store/types.js';

/** Binds signatures to this use of the key and this layout. */
const CONTEXT = 'switchyard ledger checkpoint v1';

export function signCheckpoint(key: Buffer, cp: { seq: number; hash: string; time: number }): string {
  return createHmac('sha256', key).update(`${CONTEXT}\n${cp.seq}\n${cp.hash}\n${cp.time}`).digest('hex');
}

export function signatureOk(key: Buffer, cp: LedgerCheckpoint): boolean {
  if (typeof cp.signature !== 'string' || !/^[0-9a-f]{64}$/.test(cp.signature)) return false;
  return timingSafeEqual(Buffer.from(signCheckpoint(key, cp), 'hex'), Buffer.from(cp.signature, 'hex'));
}

export interface SignatureCheck {
  /** Checkpoints the key did not sign: a wrong signature, or none once the ledger is signed. */
  forged: LedgerCheckpoint[];
  /** Checkpoints whose signature verified. */
  signed: number;
  /** Signed checkpoints that could not be checked (no key). */
  unchecked: number;
}

/**
 * Checkpoints written before signing began carry no signature and are accepted; after the first
 * one the key signed, an unsigned checkpoint was written by someone without the key.
 */
export function checkSignatures(
  key: Buffer | undefined,
  checkpoints: readonly LedgerCheckpoint[],
): SignatureCheck {
  if (!key) {
    return { forged: [], signed: 0, unchecked: checkpoints.filter((c) => c.signature).length };
  }
  const forged: LedgerCheckpoint[] = [];
  let signed = 0;
  for (const cp of checkpoints) {
    if (cp.signature === undefined && signed === 0) continue;
    if (signatureOk(key, cp)) signed++;
    else forged.push(cp);
  }
  return { forged, signed, unchecked: 0 };
}
