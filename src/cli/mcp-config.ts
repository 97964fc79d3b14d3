/** `switchyard mcp-config`: the snippet a desktop MCP client needs to use this gateway. */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { configPath, loadOrExit } from './shared.js';

export async function mcpConfig(opts: { config?: string; name?: string; http?: boolean }): Promise<void> {
  const path = configPath(opts.config);
  const config = await loadOrExit(path);
  const name = opts.name ?? 'switchyard';
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}/mcp`;
  // Absolute paths: desktop clients launch servers with their own working directory and PATH.
  const entry = opts.http
    ? { type: 'http', url }
    : {
        command: process.execPath,
        args: [...process.execArgv, cliPath(), 'stdio', '--config', resolve(path)],
      };
  process.stdout.write(`${JSON.stringify({ mcpServers: { [name]: entry } }, null, 2)}\n`);
  if (!opts.http) {
    process.stderr.write(
      `Paste into your client's MCP config (Claude Desktop: claude_desktop_config.json).\n` +
        `Clients that speak Streamable HTTP can instead use --http (a running \`switchyard serve\` at ${url}).\n`,
    );
  }
}

/** The script that is running this command (the installed `switchyard`, links resolved). */
function cliPath(): string {
  const script = process.argv[1] ?? 'switchyard';
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}
