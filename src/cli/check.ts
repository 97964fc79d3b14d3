/** `switchyard check`: validate a config file; exit 1 listing every problem with its path. */
import { isStdio } from '../config/schema.js';
import { configPath, loadOrExit } from './shared.js';

export async function check(opts: { config?: string }): Promise<void> {
  const path = configPath(opts.config);
  const config = await loadOrExit(path);
  const lines = config.upstreams.map(
    (u) =>
      `  ${u.name}: ${isStdio(u.mcp) ? `stdio (${u.mcp.command})` : `${u.mcp.transport} (${u.mcp.url})`}` +
      `${u.enabled ? '' : ' [disabled]'}, prefix ${u.prefix}`,
  );
  process.stdout.write(
    `${path}: ok\n  store: ${config.store.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@')}\n  listen: ${config.server.host}:${config.server.port}\n${lines.length ? `upstreams:\n${lines.join('\n')}\n` : 'upstreams: none\n'}`,
  );
}
