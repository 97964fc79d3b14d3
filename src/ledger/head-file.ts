/**
 * The head file: the latest signed checkpoint (seq, hash, time, signature), kept outside the
 * database. Signed checkpoints cannot reveal that the newest rows were deleted together with
 * their checkpoints; the head file still names the record the database must hold.
 *
 * It is replaced atomically (a temp file, fsync, rename; mode 0600), and only after the checkpoint
 * it names is committed: a crash in between leaves an older head file, which the database still
 * holds — a crash is never read as tampering.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import type { LedgerCheckpoint } from '../store/types.js';

export type HeadRead =
  { state: 'none' } | { state: 'ok'; checkpoint: LedgerCheckpoint } | { state: 'invalid'; reason: string };

export async function readHead(file: string): Promise<HeadRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'none' };
    throw new Error(`ledger head file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { state: 'invalid', reason: 'not JSON' };
  }
  const v = value as Partial<Record<keyof LedgerCheckpoint, unknown>>;
  if (
    !v ||
    typeof v !== 'object' ||
    !Number.isSafeInteger(v.seq) ||
    (v.seq as number) < 1 ||
    typeof v.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(v.hash) ||
    !Number.isSafeInteger(v.time) ||
    (v.signature !== undefined && typeof v.signature !== 'string')
  ) {
    return { state: 'invalid', reason: 'not a ledger head record' };
  }
  return {
    state: 'ok',
    checkpoint: {
      seq: v.seq as number,
      hash: v.hash,
      time: v.time as number,
      ...(v.signature !== undefined ? { signature: v.signature } : {}),
    },
  };
}

export async function writeHead(file: string, cp: LedgerCheckpoint): Promise<void> {
  const record = { seq: cp.seq, hash: cp.hash, time: cp.time, signature: cp.signature };
  const temp = `${file}.${process.pid}.tmp`;
  // A temp file left by a crash may carry other permissions: start afresh.
  await unlink(temp).catch(() => {});
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(record)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}
