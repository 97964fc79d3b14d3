/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped — so the same
 * value always serialises to the same bytes and can be hashed (the ledger chain, argument
 * digests, tool-definition hashes).
 *
 * The walk keeps its own stack instead of recursing, so arbitrarily deep values (a client's
 * 100,000-level argument) cannot overflow the call stack. The bytes are those of the plain
 * recursive definition — pinned tool hashes and stored chains depend on them:
 *
 *   primitive → JSON.stringify (undefined, functions, symbols → `null`)
 *   array     → `[` elements `,`-joined `]` (a hole is empty, as with map/join)
 *   object    → `{` `"key":value` for own enumerable keys in sort order, skipping undefined and
 *               function members `}` (toJSON is not consulted: a Date is `{}`)
 */
import { hash } from 'node:crypto';

interface Frame {
  /** The array being written, or undefined for an object. */
  array: readonly unknown[] | undefined;
  object: Record<string, unknown> | undefined;
  keys: string[] | undefined;
  next: number;
  written: number;
}

/** Below this depth cycles are not looked for: a cycle still shows up once the walk gets deeper. */
const CYCLE_WATCH_DEPTH = 64;

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return primitive(value);
  const out: string[] = [];
  const stack: Frame[] = [];
  // Containers being written (deeper than CYCLE_WATCH_DEPTH): meeting one again is a cycle, which
  // has no serialisation. Watching only the deep part keeps common, shallow values cheap.
  const open = new Set<object>();
  let pending: unknown = value;
  let hasPending = true;
  for (;;) {
    if (hasPending) {
      hasPending = false;
      if (pending === null || typeof pending !== 'object') out.push(primitive(pending));
      else {
        if (stack.length >= CYCLE_WATCH_DEPTH) {
          if (open.has(pending)) throw new TypeError('canonical JSON: the value contains a cycle');
          open.add(pending);
        }
        if (Array.isArray(pending)) {
          out.push('[');
          stack.push({ array: pending, object: undefined, keys: undefined, next: 0, written: 0 });
        } else {
          out.push('{');
          const object = pending as Record<string, unknown>;
          stack.push({ array: undefined, object, keys: Object.keys(object).sort(), next: 0, written: 0 });
        }
      }
    }
    const top = stack.at(-1);
    if (!top) return out.join('');
    const { array } = top;
    if (array) {
      if (top.next < array.length) {
        const i = top.next++;
        if (i > 0) out.push(',');
        if (i in array) {
          pending = array[i];
          hasPending = true;
        }
        continue;
      }
      out.push(']');
    } else {
      const object = top.object!;
      const keys = top.keys!;
      while (top.next < keys.length) {
        const k = keys[top.next++]!;
        const v = object[k];
        if (v === undefined || typeof v === 'function') continue;
        if (top.written++ > 0) out.push(',');
        out.push(JSON.stringify(k), ':');
        pending = v;
        hasPending = true;
        break;
      }
      if (hasPending) continue;
      out.push('}');
    }
    stack.pop();
    if (stack.length >= CYCLE_WATCH_DEPTH) open.delete(array ?? top.object!);
  }
}

function primitive(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? 'null' : s;
}

export function sha256Hex(text: string): string {
  // One-shot hashing: cheaper than createHash() for short inputs (every ledger record).
  return hash('sha256', text, 'hex');
}

/** `sha256:<hex>` of a value's canonical JSON. */
export function digest(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
