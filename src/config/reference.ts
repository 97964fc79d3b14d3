/**
 * Generated artifacts derived from the config schema and the error catalogue:
 * `schema/switchyard.schema.json`, `docs/config.md` and `docs/errors.md`.
 * `npm run generate` writes them; a test fails when the committed copies drift.
 */
import { z } from 'zod';
import { ERRORS } from '../errors/catalogue.js';
import { ConfigSchema } from './schema.js';

type Json = Record<string, unknown>;

export function configJsonSchema(): Json {
  const schema = z.toJSONSchema(ConfigSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Json;
  return { title: 'Switchyard configuration', ...schema };
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

interface Row {
  path: string;
  type: string;
  dflt: string;
  description: string;
}

function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' | ');
  if (s.type === 'array') {
    const item = typeOf((s.items as Json) ?? {});
    return item.includes(' | ') ? `(${item})[]` : `${item}[]`;
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object')
    return 'map of string';
  if (typeof s.type === 'string') return s.type === 'integer' ? 'integer' : s.type;
  if (s.anyOf) return [...new Set((s.anyOf as Json[]).map(typeOf))].join(' | ');
  return 'any';
}

function walk(s: Json, path: string, rows: Row[]): void {
  const props = s.properties as Record<string, Json> | undefined;
  if (path) {
    const dflt = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    rows.push({
      path,
      type: typeOf(s),
      dflt: dflt === '`{}`' ? '' : dflt,
      description: String(s.description ?? ''),
    });
  }
  if (props) for (const [k, v] of Object.entries(props)) walk(v, path ? `${path}.${k}` : k, rows);
  if (s.type === 'array' && (s.items as Json)?.properties) walkItems(s, path, rows);
  // An array of alternatives (upstreams: MCP or A2A): each key once, shared keys from the first.
  if (s.type === 'array' && (s.items as Json)?.anyOf) {
    for (const branch of (s.items as Json).anyOf as Json[]) {
      for (const [k, v] of Object.entries((branch.properties as Record<string, Json>) ?? {})) {
        if (!rows.some((r) => r.path === `${path}[].${k}`)) walk(v, `${path}[].${k}`, rows);
      }
    }
  }
  if (s.anyOf) {
    for (const branch of s.anyOf as Json[]) {
      const label = branch.properties && 'command' in (branch.properties as Json) ? 'stdio' : 'HTTP';
      for (const [k, v] of Object.entries((branch.properties as Record<string, Json>) ?? {})) {
        walk(v, `${path}.${k} (${label})`, rows);
      }
    }
  }
}

function walkItems(s: Json, path: string, rows: Row[]): void {
  for (const [k, v] of Object.entries(((s.items as Json).properties as Record<string, Json>) ?? {})) {
    walk(v, `${path}[].${k}`, rows);
  }
}

const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderConfigDoc(): string {
  const rows: Row[] = [];
  walk(configJsonSchema(), '', rows);
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run generate`. Do not edit by hand. -->',
    '',
    'A Switchyard config is one YAML (or JSON) document. Unknown keys are errors, reported with their path',
    '(`switchyard check --config FILE`). Any string may reference environment variables as `${VAR}` or',
    '`${VAR:-default}`; `$${` is a literal `${`. Relative paths resolve against the working directory.',
    'The JSON Schema is in `schema/switchyard.schema.json` (point your editor at it for completion).',
    '',
    'When the file changes, the gateway validates it and swaps in the new snapshot as a whole; an invalid',
    'file is reported and ignored. `server.host`, `server.port` and `store` take effect on restart.',
    '',
    '| key | type | default | description |',
    '|---|---|---|---|',
    ...rows.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.dflt)} | ${cell(r.description)} |`),
    '',
    '## Example',
    '',
    '```yaml',
    'server: { host: 127.0.0.1, port: 4180 }',
    'store: sqlite:./data/switchyard.db        # or postgres://user@127.0.0.1:5432/db',
    'upstreams:',
    '  - name: everything',
    '    mcp: { command: npx, args: [-y, "@modelcontextprotocol/server-everything", stdio] }',
    '  - name: docs',
    '    mcp: { url: http://127.0.0.1:9000/mcp, headers: { Authorization: "Bearer ${DOCS_TOKEN}" } }',
    '    prefix: always',
    '    timeoutMs: 120000',
    '  - name: legacy',
    '    mcp: { url: http://127.0.0.1:9001/sse, transport: sse }',
    '```',
    '',
  ];
  return lines.join('\n');
}

export function renderErrorsDoc(): string {
  const lines = [
    '# Error catalogue',
    '',
    '<!-- Generated from src/errors/catalogue.ts by `npm run generate`. Do not edit by hand. -->',
    '',
    'Every error the gateway itself produces has a stable code. On the MCP endpoint it arrives as a',
    'JSON-RPC error whose `data` holds `{ code, fix, upstream? }`; transport-level failures (before a',
    'JSON-RPC request is accepted) also set the HTTP status below. Errors that an upstream MCP server',
    'returns are passed through unchanged and are not listed here. Codes are never reused.',
    '',
    '| code | HTTP | JSON-RPC | message | how to fix |',
    '|---|---|---|---|---|',
    ...Object.entries(ERRORS).map(
      ([code, e]) => `| \`${code}\` | ${e.status} | ${e.rpc} | ${cell(e.message)} | ${cell(e.fix)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
