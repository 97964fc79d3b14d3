/** A line diff of two tool definitions (pretty, key-sorted JSON), for `switchyard tools diff`. */
import { canonicalJson } from '../ledger/canonical.js';

/** Pretty JSON with sorted keys, so two definitions line up key by key. */
export function prettyDefinition(json: string): string[] {
  return JSON.stringify(JSON.parse(canonicalJson(JSON.parse(json))), null, 2).split('\n');
}

/** Unified-style lines: ` ` same, `-` only in a, `+` only in b (longest common subsequence). */
export function lineDiff(a: readonly string[], b: readonly string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(`  ${a[i++]}`);
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  while (i < n) out.push(`- ${a[i++]}`);
  while (j < m) out.push(`+ ${b[j++]}`);
  return out;
}
