/**
 * Federated names for tools and prompts.
 *
 * MCP 2025-11-25 §Tool names: 1–128 characters of `[A-Za-z0-9_.-]`. Upstream names are prefixed
 * per the upstream's `prefix` mode, made valid, and kept unique. A collision is never resolved by
 * hiding one of the two: the later entry gets a prefixed (or numbered) name and the collision is
 * reported.
 */
import { createHash } from 'node:crypto';

export const MAX_NAME = 128;
const INVALID = /[^A-Za-z0-9_.-]/g;

export type PrefixMode = 'always' | 'conditional' | 'never';

export interface NameSource {
  upstream: string;
  prefix: PrefixMode;
  names: readonly string[];
}

export interface Collision {
  kind: string;
  name: string;
  /** Upstream that kept the name. */
  kept: string;
  /** Upstream whose entry was renamed, and its new name. */
  renamed: string;
  as: string;
}

/** Make any string a valid MCP name; long names keep a hash of the original so they stay unique. */
export function sanitize(name: string): string {
  let out = name.replace(INVALID, '_');
  if (out.length === 0) out = '_';
  if (out.length > MAX_NAME) {
    const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
    out = `${out.slice(0, MAX_NAME - 9)}_${hash}`;
  }
  return out;
}

/**
 * Assign downstream names for one kind (tools or prompts) across upstreams, in order.
 * Returns, per upstream, a map from the upstream's own name to the downstream name.
 */
export function assignNames(
  kind: string,
  sources: readonly NameSource[],
  separator: string,
): { names: Map<string, Map<string, string>>; collisions: Collision[] } {
  const count = new Map<string, number>();
  for (const s of sources) for (const n of new Set(s.names)) count.set(n, (count.get(n) ?? 0) + 1);

  const owner = new Map<string, string>(); // downstream name → upstream
  const names = new Map<string, Map<string, string>>();
  const collisions: Collision[] = [];
  const prefixed = (s: NameSource, n: string) => sanitize(`${s.upstream}${separator}${n}`);

  for (const s of sources) {
    const mine = new Map<string, string>();
    names.set(s.upstream, mine);
    for (const n of s.names) {
      if (mine.has(n)) continue; // an upstream listing a name twice: the first entry wins
      const wanted =
        s.prefix === 'always' || (s.prefix === 'conditional' && (count.get(n) ?? 0) > 1)
          ? prefixed(s, n)
          : sanitize(n);
      let final = wanted;
      if (owner.has(final)) {
        final = owner.has(prefixed(s, n)) ? wanted : prefixed(s, n);
        for (let i = 2; owner.has(final); i++) final = sanitize(`${prefixed(s, n)}_${i}`);
        collisions.push({ kind, name: wanted, kept: owner.get(wanted)!, renamed: s.upstream, as: final });
      }
      owner.set(final, s.upstream);
      mine.set(n, final);
    }
  }
  return { names, collisions };
}
