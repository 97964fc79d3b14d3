/**
 * A flame graph of a V8 CPU profile (`node --cpu-prof`, or `bench/results/*.cpuprofile` from
 * `node bench/run.mjs --profile`), as a standalone SVG: one box per function on a stack, as wide as
 * the share of busy samples it was on the stack for (idle time left out), callers below callees.
 * Hover a box for its name, file and share.
 *
 *   node bench/flamegraph.mjs <profile.cpuprofile> <out.svg> [--title "…"] [--min 0.002]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { title: { type: 'string' }, min: { type: 'string', default: '0.002' } },
});
const [input, output] = positionals;
if (!input || !output) {
  console.error('usage: node bench/flamegraph.mjs <profile.cpuprofile> <out.svg> [--title …] [--min 0.002]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(input, 'utf8'));
const minShare = Number(values.min);

// Time per node (its own samples), then a tree of frames merged by name along each stack.
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const IGNORED = new Set(['(idle)', '(program)', '(root)']);

/** A frame's name, where it is, and what it belongs to (for its colour). */
const label = (frame) => {
  const url = frame.url.replace(/^file:\/\//, '');
  const kind = !url
    ? 'native'
    : url.startsWith('node:')
      ? 'node'
      : /switchyard\.mjs$|\/src\//.test(url)
        ? 'gateway'
        : 'other';
  const file = kind === 'node' ? url : basename(url);
  return {
    name: frame.functionName || '(anonymous)',
    where: file ? `${file}:${frame.lineNumber + 1}` : '',
    kind,
  };
};

const root = { name: 'all', where: '', kind: 'native', time: 0, children: new Map() };
const walk = (node, parent) => {
  const { name, where, kind } = label(node.callFrame);
  let here = parent;
  if (!IGNORED.has(name)) {
    const key = `${name} ${where}`;
    here = parent.children.get(key);
    if (!here) parent.children.set(key, (here = { name, where, kind, time: 0, children: new Map() }));
  }
  // Idle and unattributed time count for no frame.
  if (here !== root) here.time += self.get(node.id) ?? 0;
  for (const c of node.children ?? []) walk(nodes.get(c), here);
};
walk(nodes.get(profile.nodes[0].id), root);
// Inclusive time: a frame's own samples plus its callees'.
const inclusive = (n) => {
  let t = n.time;
  for (const c of n.children.values()) t += inclusive(c);
  return (n.inclusive = t);
};
for (const c of root.children.values()) inclusive(c);
root.inclusive = [...root.children.values()].reduce((a, c) => a + c.inclusive, 0);

// Layout: depth 0 at the bottom.
const WIDTH = 1200;
const ROW = 16;
const boxes = [];
let maxDepth = 0;
const place = (n, x, depth) => {
  const w = (n.inclusive / root.inclusive) * WIDTH;
  if (n.inclusive / root.inclusive < minShare) return;
  boxes.push({ n, x, w, depth });
  maxDepth = Math.max(maxDepth, depth);
  let cx = x;
  for (const c of [...n.children.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    place(c, cx, depth + 1);
    cx += (c.inclusive / root.inclusive) * WIDTH;
  }
};
place(root, 0, 0);

const esc = (s) =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
const COLOURS = {
  gateway: 'hsl(28, 85%, 62%)', // the gateway's bundle (its code and the libraries bundled with it)
  node: 'hsl(210, 55%, 68%)', // Node core
  native: 'hsl(0, 0%, 72%)', // syscalls, GC, V8 builtins
  other: 'hsl(95, 45%, 62%)', // other modules
};
const colour = (n) => COLOURS[n.kind];
const height = (maxDepth + 1) * ROW + 56;
const title = values.title ?? basename(input);
const rows = boxes.map(({ n, x, w, depth }) => {
  const y = height - 20 - (depth + 1) * ROW;
  const share = ((n.inclusive / root.inclusive) * 100).toFixed(1);
  const text = w > 40 ? esc(n.name.slice(0, Math.floor(w / 7))) : '';
  return (
    `<g><title>${esc(n.name)} ${esc(n.where)} — ${share}% of busy time</title>` +
    `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w - 0.5, 0.5).toFixed(1)}" height="${ROW - 1}" fill="${colour(n)}"/>` +
    (text ? `<text x="${(x + 3).toFixed(1)}" y="${y + 11}">${text}</text>` : '') +
    '</g>'
  );
});
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="monospace" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="4" y="16" font-size="13">${esc(title)}</text>
<text x="4" y="32">${(root.inclusive / 1000).toFixed(0)} ms busy. Orange: the gateway's bundle (its code and the libraries in it); blue: Node core; grey: native (syscalls, GC); green: other.</text>
${rows.join('\n')}
</svg>
`;
writeFileSync(output, svg);
console.log(`${output}: ${boxes.length} boxes, ${(root.inclusive / 1000).toFixed(0)} ms busy`);
