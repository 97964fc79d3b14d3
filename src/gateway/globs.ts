/**
 * Globs: `*` matches any run of characters, `?` (where allowed) one; everything else literally.
 * Policy rules, rate limits, agents' tool lists and tool groups all name things this way.
 *
 * Matched without regular expressions: a pattern such as `*a*a*a*a*a*a*a*a*a*a*a*a*c` would make
 * a backtracking regex engine take minutes on a 60-character name. This walks the name once per
 * star at most (O(pattern × name)), whatever the pattern.
 */

export interface GlobMatcher {
  test(name: string): boolean;
}

/** A matcher for any of `patterns`. `question`: `?` is a wildcard (policy rules) or a literal. */
export function globMatcher(patterns: readonly string[], { question = true } = {}): GlobMatcher {
  const list = [...patterns];
  return { test: (name) => list.some((p) => matchGlob(p, name, question)) };
}

/** `*` matches any run of characters; everything else literally (tool lists of agents and groups). */
export function globs(patterns: readonly string[]): (name: string) => boolean {
  const m = globMatcher(patterns, { question: false });
  return (name) => m.test(name);
}

export function matchGlob(pattern: string, text: string, question = true): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // position of the last `*` in the pattern
  let resume = 0; // where in the text that `*` stopped matching
  while (t < text.length) {
    const c = pattern[p];
    if (p < pattern.length && c !== '*' && (c === text[t] || (question && c === '?'))) {
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
