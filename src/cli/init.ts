/** `switchyard init`: write a commented starter config. */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG, fail } from './shared.js';

export const STARTER = `# Switchyard gateway configuration. Reference: docs/config.md
# Editors with the YAML language server validate this file against the packaged JSON Schema:
# yaml-language-server: $schema=./node_modules/switchyard/schema/switchyard.schema.json
server:
  host: 127.0.0.1        # loopback only; see docs/config.md before exposing it
  port: 4180
store: sqlite:./data/switchyard.db
upstreams:
  # An MCP server started as a child process (stdio):
  - name: everything
    mcp:
      command: npx
      args: [-y, "@modelcontextprotocol/server-everything", stdio]
  # An MCP server reached over Streamable HTTP; secrets come from the environment:
  # - name: docs
  #   mcp:
  #     url: http://127.0.0.1:9000/mcp
  #     headers: { Authorization: "Bearer \${DOCS_TOKEN}" }
  #   prefix: always
  #   timeoutMs: 120000
`;

export function init(opts: { file?: string; force?: boolean }): void {
  const file = resolve(opts.file ?? DEFAULT_CONFIG);
  if (existsSync(file) && !opts.force) fail(`${file} exists (use --force to overwrite)`);
  writeFileSync(file, STARTER);
  process.stdout.write(`wrote ${file}\nnext: switchyard serve --config ${opts.file ?? DEFAULT_CONFIG}\n`);
}
