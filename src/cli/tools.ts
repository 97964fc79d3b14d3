/**
 * `switchyard tools`: start the configured upstreams and print the federated tool list.
 * `switchyard tools diff|approve`: review and accept tool definitions that changed since they
 * were pinned (the rug-pull defence; see docs/security.md).
 */
import { Gateway } from '../gateway/gateway.js';
import { lineDiff, prettyDefinition } from '../policy/diff.js';
import { openStore } from '../store/open.js';
import type { StoredPin } from '../store/types.js';
import { createLogger } from '../telemetry/logger.js';
import { configPath, fail, loadOrExit } from './shared.js';

export async function tools(opts: { config?: string; json?: boolean }): Promise<void> {
  const config = await loadOrExit(configPath(opts.config));
  const gateway = new Gateway(config, createLogger('warn'), { listen: false });
  await gateway.start();
  await gateway.core.upstreamsStarted();
  const routes = gateway.core.routes();
  const rows = routes.tools.map((t) => {
    const route = routes.tool(String(t.name))!;
    return { name: String(t.name), upstream: route.upstream.name, description: String(t.description ?? '') };
  });
  const status = gateway.core.status();
  const down = status.filter((u) => u.state !== 'ready');
  const tolerated = status.flatMap((u) => (u.tolerated ?? []).map((note) => ({ upstream: u.name, note })));
  await gateway.stop();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ tools: rows, unavailable: down, tolerated }, null, 2)}\n`);
    return;
  }
  const width = Math.max(4, ...rows.map((r) => r.name.length));
  const upWidth = Math.max(8, ...rows.map((r) => r.upstream.length));
  const out = [`${'TOOL'.padEnd(width)}  ${'UPSTREAM'.padEnd(upWidth)}  DESCRIPTION`];
  for (const r of rows) {
    const desc = r.description.split('\n')[0]!;
    out.push(
      `${r.name.padEnd(width)}  ${r.upstream.padEnd(upWidth)}  ${desc.length > 80 ? `${desc.slice(0, 77)}...` : desc}`,
    );
  }
  for (const u of down) out.push(`(upstream ${u.name} is ${u.state}${u.error ? `: ${u.error}` : ''})`);
  for (const t of tolerated) out.push(`(upstream ${t.upstream}: ${t.note})`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (down.length > 0) process.exitCode = 2;
}

async function pendingPins(config: string | undefined, upstream?: string, tool?: string) {
  const cfg = await loadOrExit(configPath(config));
  const store = await openStore(cfg.store);
  const pins = (await store.pins.list(upstream)).filter(
    (p) => p.pendingHash !== null && (tool === undefined || p.tool === tool),
  );
  return { store, pins };
}

export async function toolsDiff(opts: { config?: string; upstream?: string; tool?: string; json?: boolean }) {
  const { store, pins } = await pendingPins(opts.config, opts.upstream, opts.tool);
  await store.close();
  if (opts.json) {
    const rows = pins.map((p) => ({
      upstream: p.upstream,
      tool: p.tool,
      pinned: { hash: p.hash, definition: JSON.parse(p.definition) as unknown },
      offered: {
        hash: p.pendingHash,
        definition: JSON.parse(p.pendingDefinition!) as unknown,
        since: p.pendingSince,
      },
    }));
    process.stdout.write(`${JSON.stringify({ changed: rows }, null, 2)}\n`);
    return;
  }
  if (pins.length === 0) {
    process.stdout.write('no changed tool definitions await approval\n');
    return;
  }
  const out: string[] = [];
  for (const p of pins) out.push(...describeChange(p), '');
  process.stdout.write(out.join('\n'));
}

function describeChange(p: StoredPin): string[] {
  return [
    `${p.upstream}/${p.tool}: changed ${new Date(p.pendingSince ?? 0).toISOString()}`,
    `--- pinned  ${p.hash}`,
    `+++ offered ${p.pendingHash}`,
    ...lineDiff(prettyDefinition(p.definition), prettyDefinition(p.pendingDefinition!)),
  ];
}

export async function toolsApprove(
  upstream: string | undefined,
  tool: string | undefined,
  opts: { config?: string; all?: boolean },
) {
  if (!opts.all && (upstream === undefined || tool === undefined))
    fail('name the tool (`tools approve UPSTREAM TOOL`) or pass --all');
  const { store, pins } = await pendingPins(opts.config, upstream, tool);
  try {
    if (pins.length === 0)
      fail(`no changed definition${upstream ? ` of ${upstream}/${tool ?? '*'}` : ''} awaits approval`);
    for (const p of pins) {
      await store.pins.approve(p.upstream, p.tool, p.pendingHash!, p.pendingDefinition!, Date.now());
      process.stdout.write(`approved ${p.upstream}/${p.tool} ${p.pendingHash}\n`);
    }
  } finally {
    await store.close();
  }
}
