/**
 * The one glob matcher. Policy rules, rate limits, agents' `tools` lists and A2A tool groups all
 * name things with it, and it means the same everywhere:
 *
 * - `*` matches any run of characters, also none;
 * - `?` matches exactly one character;
 * - every other character matches itself: there are no classes, escapes or regex syntax.
 *
 * Characters are compared exactly. Policy rules and rate limits fold the globs and the names they
 * test alike (case and Unicode compatibility forms, `normalize` in rules.ts) before matching, so
 * they match case-insensitively; agents' and groups' tool lists name tools exactly as listed.
 *
 * Matched without regular expressions: a pattern such as `*a*a*a*a*a*a*a*a*a*a*a*a*c` would make
 * a backtracking regex engine take minutes on a 60-character name. This walks the name once per
 * star at most (O(pattern × name)), whatever the pattern.
 */

export interface GlobMatcher {
  test(name: string): boolean;
}

/** A matcher for any of `patterns` (none: matches nothing). */
export function globMatcher(patterns: readonly string[]): GlobMatcher {
  const list = [...patterns];
  return { test: (name) => list.some((p) => matchGlob(p, name)) };
}

export function matchGlob(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // position of the last `*` in the pattern
  let resume = 0; // where in the text that `*` stopped matching
  while (t < text.length) {
    const c = pattern[p];
    if (p < pattern.length && c !== '*' && (c === text[t] || c === '?')) {
      p++;
      t++;
    } else if (c === '*') {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      // Let the last `*` take one more character and try the rest again.
      p = star + 1;
      t = ++resume;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
