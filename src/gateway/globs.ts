/** Tool lists in the config (`a2a.groups[].tools`, `agents[].tools`) name tools by glob. */

/** `*` matches any run of characters; everything else literally. */
export function globs(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
  return (name) => res.some((r) => r.test(name));
}
