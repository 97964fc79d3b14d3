/**
 * `switchyard import-mcp-json FILE`: turn a Claude Desktop / Cursor / VS Code `mcpServers` JSON
 * into Switchyard upstreams, printed as YAML (or written with --out).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { validateConfig } from '../config/load.js';
import { NAME_PATTERN } from '../config/schema.js';
import { fail } from './shared.js';

interface ServerEntry {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  type?: string;
  transport?: string;
  headers?: Record<string, string>;
  disabled?: boolean;
}

export function convertMcpJson(json: unknown): { upstreams: Record<string, unknown>[]; skipped: string[] } {
  const root = json as { mcpServers?: Record<string, ServerEntry>; servers?: Record<string, ServerEntry> };
  const servers = root?.mcpServers ?? root?.servers;
  if (!servers || typeof servers !== 'object') throw new Error('no "mcpServers" (or "servers") object found');
  const upstreams: Record<string, unknown>[] = [];
  const skipped: string[] = [];
  for (const [rawName, s] of Object.entries(servers)) {
    const name = toName(rawName);
    if (!s || typeof s !== 'object') {
      skipped.push(`${rawName}: not an object`);
      continue;
    }
    let mcp: Record<string, unknown>;
    if (s.command) {
      mcp = {
        command: s.command,
        ...(s.args?.length ? { args: s.args } : {}),
        ...(s.env ? { env: s.env } : {}),
        ...(s.cwd ? { cwd: s.cwd } : {}),
      };
    } else if (s.url) {
      const legacy = s.type === 'sse' || s.transport === 'sse';
      mcp = {
        url: s.url,
        ...(legacy ? { transport: 'sse' } : {}),
        ...(s.headers ? { headers: s.headers } : {}),
      };
    } else {
      skipped.push(`${rawName}: neither "command" nor "url"`);
      continue;
    }
    upstreams.push({ name, mcp, ...(s.disabled ? { enabled: false } : {}) });
  }
  return { upstreams, skipped };
}

function toName(raw: string): string {
  let n = raw.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  if (!n) n = 'server';
  n = n.slice(0, 48);
  return NAME_PATTERN.test(n) ? n : 'server';
}

export function importMcpJson(file: string, opts: { out?: string }): void {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  let result;
  try {
    result = convertMcpJson(json);
  } catch (err) {
    fail(`${file}: ${(err as Error).message}`);
  }
  const config = { store: 'sqlite:./data/switchyard.db', upstreams: result.upstreams };
  try {
    // Values such as ${TOKEN} stay references; validate with them resolved to placeholders.
    validateConfig(config, new Proxy({}, { get: () => 'x' }));
  } catch (err) {
    fail(`the converted config does not validate:\n${(err as Error).message}`);
  }
  const yaml = `# Imported from ${file} by switchyard import-mcp-json\n${stringify(config)}`;
  for (const s of result.skipped) process.stderr.write(`skipped ${s}\n`);
  if (opts.out) {
    writeFileSync(opts.out, yaml);
    process.stderr.write(`wrote ${opts.out} (${result.upstreams.length} upstreams)\n`);
  } else process.stdout.write(yaml);
}
