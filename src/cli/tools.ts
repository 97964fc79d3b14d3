/** `switchyard tools`: start the configured upstreams and print the federated tool list. */
import { Gateway } from '../gateway/runtime.js';
import { createLogger } from '../telemetry/logger.js';
import { configPath, loadOrExit } from './shared.js';

export async function tools(opts: { config?: string; json?: boolean }): Promise<void> {
  const config = await loadOrExit(configPath(opts.config));
  const gateway = new Gateway(config, createLogger('warn'), { listen: false });
  await gateway.start();
  const catalog = gateway.core.catalog();
  const rows = catalog.tools.map((t) => {
    const route = catalog.tool(String(t.name))!;
    return { name: String(t.name), upstream: route.upstream.name, description: String(t.description ?? '') };
  });
  const down = gateway.core.status().filter((u) => u.state !== 'ready');
  await gateway.stop();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ tools: rows, unavailable: down }, null, 2)}\n`);
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
  process.stdout.write(`${out.join('\n')}\n`);
  if (down.length > 0) process.exitCode = 2;
}
