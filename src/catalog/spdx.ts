/**
 * SPDX license expressions: parsed and validated with spdx-expression-parse against the SPDX
 * License List ids shipped in spdx-license-ids; `LicenseRef-…` for licenses outside the list.
 */
import parse, { type SpdxNode } from 'spdx-expression-parse';
import ids from 'spdx-license-ids/index.json' with { type: 'json' };
import deprecated from 'spdx-license-ids/deprecated.json' with { type: 'json' };

/**
 * The SPDX License List release that the ids above belong to. spdx-license-ids does not record
 * it; a test checks that every id it ships is in the CycloneDX library's bundled 3.29.0 list.
 */
export const SPDX_LIST_VERSION = '3.29.0';

const KNOWN = new Set<string>([...ids, ...deprecated]);
const BY_LOWER = new Map([...KNOWN].map((id) => [id.toLowerCase(), id]));

export type { SpdxNode };

export class LicenseExpressionError extends Error {}

/** Parse and validate; throws LicenseExpressionError naming the expression and what is wrong. */
export function parseExpression(expression: string): SpdxNode {
  const text = expression.trim();
  if (!text) throw new LicenseExpressionError('empty license expression');
  let node: SpdxNode;
  try {
    node = parse(text);
  } catch (err) {
    const hint = caseHint(text);
    throw new LicenseExpressionError(
      `"${expression}" is not a valid SPDX license expression` +
        (hint ? ` (did you mean ${hint}?)` : `: ${(err as Error).message}`),
    );
  }
  return node;
}

/** `mit` → `MIT`: SPDX ids are matched case-sensitively by the parser, people type them otherwise. */
function caseHint(text: string): string | undefined {
  const fixed = text.replace(/[A-Za-z0-9.+-]+/g, (w) =>
    ['and', 'or', 'with'].includes(w.toLowerCase()) ? w.toUpperCase() : (BY_LOWER.get(w.toLowerCase()) ?? w),
  );
  if (fixed === text) return undefined;
  try {
    parse(fixed);
    return `"${fixed}"`;
  } catch {
    return undefined;
  }
}

export function isValidExpression(expression: string): boolean {
  try {
    parseExpression(expression);
    return true;
  } catch {
    return false;
  }
}

/** An id on the SPDX License List (deprecated ids included). */
export function isListedId(id: string): boolean {
  return KNOWN.has(id);
}

/** The canonical spelling of a listed id, matched case-insensitively. */
export function canonicalId(id: string): string | undefined {
  return BY_LOWER.get(id.toLowerCase());
}

export function isLicenseRef(id: string): boolean {
  return /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/.test(id);
}

/** Every license id the expression names (with `+` and exceptions dropped), in order, unique. */
export function licenseIds(node: SpdxNode): string[] {
  const out: string[] = [];
  const walk = (n: SpdxNode) => {
    if ('license' in n) {
      if (!out.includes(n.license)) out.push(n.license);
    } else {
      walk(n.left);
      walk(n.right);
    }
  };
  walk(node);
  return out;
}

/** Bounded: an expression with more alternatives than this is refused rather than expanded. */
export const MAX_ALTERNATIVES = 256;

/**
 * The expression as alternatives: each alternative is the set of licenses that all apply
 * (disjunctive normal form). `MIT OR (Apache-2.0 AND CC-BY-4.0)` → [[MIT], [Apache-2.0, CC-BY-4.0]].
 * A licensee may pick any one alternative, so policy accepts an expression if one alternative passes.
 */
export function alternatives(node: SpdxNode): string[][] {
  if ('license' in node) return [[node.license]];
  const left = alternatives(node.left);
  const right = alternatives(node.right);
  const size = node.conjunction === 'or' ? left.length + right.length : left.length * right.length;
  if (size > MAX_ALTERNATIVES) {
    throw new LicenseExpressionError(`license expression has more than ${MAX_ALTERNATIVES} alternatives`);
  }
  if (node.conjunction === 'or') return [...left, ...right];
  const out: string[][] = [];
  for (const l of left) for (const r of right) out.push([...new Set([...l, ...r])]);
  return out;
}
