/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped — so the same
 * value always serialises to the same bytes and can be hashed (the ledger chain, argument
 * digests, tool-definition hashes).
 */
import { hash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

export function sha256Hex(text: string): string {
  // One-shot hashing: cheaper than createHash() for short inputs (every ledger record).
  return hash('sha256', text, 'hex');
}

/** `sha256:<hex>` of a value's canonical JSON. */
export function digest(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
