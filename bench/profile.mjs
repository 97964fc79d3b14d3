/**
 * Reads a V8 .cpuprofile (as written by `node --cpu-prof`) and lists the functions with the most
 * self time: where the process itself spent CPU, not counting what it called.
 *
 * Profile timestamps are microseconds of the monotonic clock, the clock behind
 * `process.hrtime.bigint()` in any process on the machine, so the caller can keep only the samples
 * taken while it was applying load (leaving out start-up and module loading).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * @param {string} file a .cpuprofile
 * @param {string} root paths are shown relative to it
 * @param {{ count?: number, fromUs?: number, toUs?: number }} [opts] keep samples in [fromUs, toUs]
 * @returns {{ totalMs: number, idleMs: number, top: { fn: string, where: string, ms: number, pct: number }[] }}
 */
export function topSelfTime(file, root, { count = 10, fromUs = -Infinity, toUs = Infinity } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  // timeDeltas[i] is the time since the previous sample; charge it to the sample it ends on.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
  }
  const totals = new Map();
  const origins = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame: f } = byId.get(id);
    totalUs += us;
    if (f.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const fn = f.functionName || '(anonymous)';
    const where = f.url ? `${shorten(f.url, root)}:${f.lineNumber + 1}` : '';
    const origin = originOf(f.url, fn, root);
    origins.set(origin, (origins.get(origin) ?? 0) + us);
    const key = `${fn}\u0000${where}`;
    const t = totals.get(key) ?? { fn, where, us: 0 };
    t.us += us;
    totals.set(key, t);
  }
  const busyUs = totalUs - idleUs;
  const top = [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((t) => ({ fn: t.fn, where: t.where, ms: t.us / 1000, pct: (100 * t.us) / (busyUs || 1) }));
  const byOrigin = [...origins]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([origin, us]) => ({ origin, ms: us / 1000, pct: (100 * us) / (busyUs || 1) }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, top, byOrigin };
}

/** Who the code belongs to: Switchyard (dist/), a package, node itself, or V8/native. */
function originOf(url, fn, root) {
  if (!url) return fn.startsWith('(') ? fn : 'native (V8 builtins, syscalls)';
  if (url.startsWith('node:')) return 'node core (node:*)';
  const rel = shorten(url, root);
  if (rel.startsWith('dist/')) return 'switchyard (dist/)';
  const pkg = /^(@[^/]+\/[^/]+|[^/]+)/.exec(rel)?.[1];
  return pkg ?? rel;
}

function shorten(url, root) {
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  if (!path.startsWith('/')) return path; // node:internal/…
  const rel = relative(root, path);
  return rel.replace(/^node_modules\//, '');
}
