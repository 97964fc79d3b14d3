#!/usr/bin/env node
/**
 * Checks the shape of src/, as part of `npm run lint`:
 * - no modules import each other in a cycle (type-only and dynamic imports count: a cycle of
 *   types is still two modules that cannot be understood apart); each cycle is printed as a
 *   chain of files;
 * - the bottom layer (`errors/`) imports nothing else from src/;
 * - no source file is over 450 lines, except the config schema and the files still waiting to
 *   be split (`OVERSIZED`, which may only shrink).
 *
 * Imports are read with the TypeScript compiler's own pre-processor, so comments and strings
 * that look like imports are not mistaken for them.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The module a relative specifier names (`./x.js` is `./x.ts`), or undefined for packages. */
function target(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
}

const files = sources(root);
const imports = new Map(
  files.map((file) => {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = info.importedFiles.map((i) => target(file, i.fileName)).filter(Boolean);
    return [file, [...new Set(deps)]];
  }),
);

/** Strongly connected components with more than one module (Tarjan), each a set of cycles. */
function components() {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of imports.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) out.push(new Set(component));
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

/** One cycle through `start` inside `component` (breadth-first: the shortest). */
function cycleThrough(start, component) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of imports.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const chain = [v];
        for (let p = previous.get(v); p !== undefined; p = previous.get(p)) chain.unshift(p);
        return [...chain, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** Folders that everything may import, so they import nothing from src/ themselves. */
const BOTTOM = ['errors/'];
const MAX_LINES = 450;
/** Source files allowed over MAX_LINES, with the most lines each may have. Only shrinks. */
const OVERSIZED = {};

const problems = [];
for (const [file, deps] of imports) {
  const name = relative(root, file);
  const layer = BOTTOM.find((b) => name.startsWith(b));
  for (const dep of layer ? deps : []) {
    if (!relative(root, dep).startsWith(layer)) {
      problems.push(`${name} imports ${relative(root, dep)}: ${layer} is the bottom layer`);
    }
  }
  if (name.endsWith('.test.ts')) continue;
  const lines = readFileSync(file, 'utf8').split('\n').length - 1;
  const max = OVERSIZED[name] ?? MAX_LINES;
  if (lines > max) problems.push(`${name} has ${lines} lines (at most ${max}): split it by job`);
}

const cycles = components().map((c) => cycleThrough([...c].sort()[0], c));
if (cycles.length) {
  console.error(`import cycles in src/ (${cycles.length}):`);
  for (const c of cycles) console.error(`  ${c.map((f) => relative(root, f)).join(' → ')}`);
  console.error(
    'Break each by moving what both sides need below them, or by a narrow interface on one side.',
  );
  process.exit(1);
}
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(
  `${files.length} modules in src/: no import cycles, ${BOTTOM.join(', ')} imports nothing above it, ` +
    `over ${MAX_LINES} lines: ${Object.keys(OVERSIZED).join(', ') || 'none'}`,
);
