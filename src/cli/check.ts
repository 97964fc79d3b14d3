/** `switchyard check`: validate a config file; exit 1 listing every problem with its path. */
import { isA2a, isStdio } from '../config/schema.js';
import { redactUrl } from '../store/open.js';
import { configPath, loadOrExit } from './shared.js';

/** Scheme, host and path only: credentials and query strings (API keys) stay out of the output. */
function displayUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
}

export async function check(opts: { config?: string }): Promise<void> {
  const path = configPath(opts.config);
  const config = await loadOrExit(path);
  const lines = config.upstreams.map((u) => {
    const how = isA2a(u)
      ? `a2a (${displayUrl(u.a2a.url)})`
      : isStdio(u.mcp)
        ? `stdio (${u.mcp.command})`
        : `${u.mcp.transport} (${displayUrl(u.mcp.url)})`;
    return `  ${u.name}: ${how}${u.enabled ? '' : ' [disabled]'}, prefix ${u.prefix}`;
  });
  const out = [
    `${path}: ok`,
    `  store: ${redactUrl(config.store)}`,
    `  listen: ${config.server.host}:${config.server.port}`,
    lines.length ? `upstreams:\n${lines.join('\n')}` : 'upstreams: none',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
