// Stand-in for `fs` given to @modelcontextprotocol/conformance on Node 20 (see hooks.mjs): everything
// from node:fs, named and default, plus a minimal globSync. The suite only calls
// globSync('**/checks.json', { cwd }), so this supports '*', '?' and '**' path segments and the
// `cwd` option; it returns paths relative to cwd, like Node 22's fs.globSync, and does not follow
// symlinked directories.
import fs from 'node:fs';
import path from 'node:path';

export * from 'node:fs';

/** Turns one glob path segment ('*.json', 'check?.json') into an anchored RegExp. */
function segmentToRegExp(segment) {
  const source = segment
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${source}$`);
}

function readDir(dir) {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // unreadable or vanished directory: nothing matches below it
  }
}

/**
 * Collects matches of `segments` (already split on '/') under `absDir`; `relDir` is the same
 * directory relative to the glob's cwd.
 */
function walk(absDir, relDir, segments, out) {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (head === '**') {
    walk(absDir, relDir, rest, out); // '**' matches zero directories …
    for (const entry of readDir(absDir)) {
      // … or descends one more level and stays active.
      if (entry.isDirectory()) {
        walk(path.join(absDir, entry.name), path.join(relDir, entry.name), segments, out);
      }
    }
    return;
  }
  const matcher = segmentToRegExp(head);
  for (const entry of readDir(absDir)) {
    if (!matcher.test(entry.name)) continue;
    const absPath = path.join(absDir, entry.name);
    const relPath = path.join(relDir, entry.name);
    if (rest.length === 0) out.add(relPath);
    else if (entry.isDirectory()) walk(absPath, relPath, rest, out);
  }
}

export function globSync(pattern, options = {}) {
  const patterns = Array.isArray(pattern) ? pattern : [pattern];
  const cwd = options.cwd
    ? String(options.cwd instanceof URL ? options.cwd.pathname : options.cwd)
    : process.cwd();
  const out = new Set();
  for (const p of patterns) {
    walk(
      path.resolve(cwd),
      '',
      p.split('/').filter((s) => s !== ''),
      out,
    );
  }
  return [...out];
}

// Default export: the real fs (as prototype) with globSync on top, so fs.* keeps working unchanged.
export default Object.assign(Object.create(fs), { globSync });
