/**
 * The `switchyard` command end to end: check, init, import-mcp-json, mcp-config, tools, and the
 * serve / stdio fronts as real processes (graceful shutdown included).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { stringify, parse } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { validateConfig } from '../../src/config/load.js';
import { CLI_ARGS, runCli, startServe } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';
import { alive } from '../support/process.js';
import { waitFor } from '../support/wait.js';

// Each test starts one or more CLI processes, each loading the TypeScript sources: on two shared
// cores next to the rest of the suite that takes longer than the default 30 s allows.
vi.setConfig({ testTimeout: 90_000 });

const tmp = () => mkdtempSync(join(tmpdir(), 'swy-cli-'));

function writeConfig(
  dir: string,
  upstreams: unknown[] = [{ name: 'local', mcp: stdioFixture('local') }],
): string {
  const file = join(dir, 'switchyard.yaml');
  writeFileSync(
    file,
    stringify({
      server: { port: 0 },
      store: `sqlite:${join(dir, 'db.sqlite')}`,
      log: { level: 'warn' },
      upstreams,
    }),
  );
  return file;
}

describe('switchyard check', () => {
  it('accepts a valid file', async () => {
    const dir = tmp();
    const r = await runCli(['check', '--config', writeConfig(dir)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': ok');
    expect(r.stdout).toContain('local: stdio');
  });

  it('prints no credentials from URLs', async () => {
    const dir = tmp();
    const file = writeConfig(dir, [
      { name: 'docs', mcp: { url: 'http://user:pa55word@127.0.0.1:9/mcp?api_key=k3y' } },
    ]);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/store: .*/, 'store: postgres://app:dbpa55@127.0.0.1:5432/x'),
    );
    const r = await runCli(['check', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('docs: streamable-http (http://127.0.0.1:9/mcp?…)');
    expect(r.stdout).not.toMatch(/pa55word|k3y|dbpa55/);
  });

  it('exits non-zero listing each bad path with its line', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'server:',
        '  port: 99999',
        'upstreams:',
        '  - name: docs',
        '    mcp: { url: nope }',
        '    prefix: sometimes',
        'extra: 1',
        '',
      ].join('\n'),
    );
    const r = await runCli(['check', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2: server.port:`);
    expect(r.stderr).toContain(`${file}:5: upstreams[0].mcp.url: expected an http(s) URL`);
    expect(r.stderr).toContain(`${file}:6: upstreams[0].prefix:`);
    expect(r.stderr).toContain('extra: unknown key');
  });

  it('names a missing environment variable', async () => {
    const dir = tmp();
    const file = join(dir, 'env.yaml');
    writeFileSync(
      file,
      'upstreams:\n  - name: docs\n    mcp: { url: "http://127.0.0.1:1/mcp", headers: { Authorization: "Bearer ${SWY_TEST_UNSET_TOKEN}" } }\n',
    );
    const r = await runCli(['check', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'upstreams[0].mcp.headers.Authorization: environment variable SWY_TEST_UNSET_TOKEN is not set',
    );
    const ok = await runCli(['check', '--config', file], { env: { SWY_TEST_UNSET_TOKEN: 's3cret-value' } });
    expect(ok.code).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain('s3cret-value');
  });
});

describe('switchyard init / import-mcp-json / mcp-config', () => {
  it('init writes a starter config that validates', async () => {
    const dir = tmp();
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code).toBe(0);
    expect((await runCli(['check'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['init'], { cwd: dir })).code).toBe(1); // refuses to overwrite
  });

  it('imports a Claude Desktop / Cursor mcpServers file', async () => {
    const dir = tmp();
    const json = join(dir, 'claude_desktop_config.json');
    writeFileSync(
      json,
      JSON.stringify({
        mcpServers: {
          filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
          'my docs!': {
            url: 'http://127.0.0.1:9000/mcp',
            headers: { Authorization: 'Bearer ${DOCS_TOKEN}' },
          },
          legacy: { type: 'sse', url: 'http://127.0.0.1:9001/sse' },
          broken: { nothing: true },
        },
      }),
    );
    const r = await runCli(['import-mcp-json', json]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('skipped broken');
    const config = validateConfig(parse(r.stdout), { DOCS_TOKEN: 't' });
    const kinds = config.upstreams.map((u) =>
      'mcp' in u ? [u.name, 'command' in u.mcp ? 'stdio' : u.mcp.transport] : [u.name, 'a2a'],
    );
    expect(kinds).toEqual([
      ['filesystem', 'stdio'],
      ['my-docs-', 'streamable-http'],
      ['legacy', 'sse'],
    ]);
    expect(r.stdout).toContain('${DOCS_TOKEN}'); // references stay references
  });

  it('prints the client snippet for stdio and for HTTP', async () => {
    const dir = tmp();
    const file = writeConfig(dir);
    const stdio = JSON.parse((await runCli(['mcp-config', '--config', file])).stdout);
    // Launched exactly as this CLI was: the same node, the same script (here: from source via tsx).
    expect(stdio.mcpServers.switchyard).toEqual({
      command: process.execPath,
      args: [...CLI_ARGS, 'stdio', '--config', file],
    });
    const http = JSON.parse((await runCli(['mcp-config', '--config', file, '--http'])).stdout);
    expect(http.mcpServers.switchyard).toEqual({ type: 'http', url: 'http://127.0.0.1:0/mcp' });
  });
});

describe('switchyard tools', () => {
  it('lists the federated tools with their upstream', async () => {
    const dir = tmp();
    const r = await runCli(['tools', '--config', writeConfig(dir)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^local\.echo\s+local\s+Echo the text back$/m);
    const json = JSON.parse((await runCli(['tools', '--json', '--config', writeConfig(dir)])).stdout);
    expect(json.tools).toContainEqual({
      name: 'local.add',
      upstream: 'local',
      description: 'Add two numbers (structured output)',
    });
  });
});

describe('switchyard serve', () => {
  it('drains a call in flight on SIGTERM, then exits 0 leaving no upstream process behind', async () => {
    const dir = tmp();
    const { child, url } = await startServe(['--config', writeConfig(dir)]);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const pid = Number(
      ((await client.callTool({ name: 'local.pid', arguments: {} })).content as { text: string }[])[0]!.text,
    );
    const call = client.callTool({ name: 'local.slow', arguments: { ms: 800 } });
    // SIGTERM once the call is in flight: the upstream is running it.
    await waitFor(
      async () =>
        JSON.parse(
          (
            (await client.callTool({ name: 'local.running', arguments: {} })).content as { text: string }[]
          )[0]!.text,
        ).slow > 0,
      { what: 'local.slow is running upstream' },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect((await call).content).toEqual([{ type: 'text', text: 'slept 800' }]);
    expect(await exited).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it('refuses to start on an invalid config', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'server: { port: "eighty" }\n');
    const r = await runCli(['serve', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('server.port');
  });
});

describe('switchyard stdio', () => {
  it('serves a desktop client over stdio, including sampling round trips', async () => {
    const dir = tmp();
    const file = writeConfig(dir);
    const client = new Client({ name: 'desktop', version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: 'm',
      content: { type: 'text', text: 'from desktop' },
    }));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...CLI_ARGS, 'stdio', '--config', file],
      stderr: 'pipe',
    });
    await client.connect(transport);
    // Answered at once; the upstream's tools arrive as it comes up.
    await vi.waitFor(
      async () => expect((await client.listTools()).tools.map((t) => t.name)).toContain('local.echo'),
      { timeout: 30_000, interval: 50 },
    );
    expect((await client.callTool({ name: 'local.sample', arguments: { prompt: 'hi' } })).content).toEqual([
      { type: 'text', text: 'sampled: from desktop' },
    ]);
    await client.close();
  });

  it('answers initialize at once while an upstream never answers its handshake', async () => {
    const dir = tmp();
    const file = writeConfig(dir, [
      // Reads its input and never answers; waiting for it would time the test out.
      {
        name: 'stuck',
        mcp: { command: process.execPath, args: ['-e', 'process.stdin.resume()'] },
        startTimeoutMs: 600_000,
      },
      { name: 'local', mcp: stdioFixture('local') },
    ]);
    const client = new Client({ name: 'desktop', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [...CLI_ARGS, 'stdio', '--config', file],
        stderr: 'pipe',
      }),
    );
    expect(client.getServerVersion()?.name).toBe('switchyard');
    await vi.waitFor(
      async () => expect((await client.listTools()).tools.map((t) => t.name)).toContain('local.echo'),
      { timeout: 30_000, interval: 50 },
    );
    await client.close();
  });

  it('answers a malformed line with -32700 and keeps serving', async () => {
    const dir = tmp();
    const file = writeConfig(dir, []);
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    const r = await runCli(['stdio', '--config', file], {
      input: `{"not json\n${init}\n${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' })}\n`,
    });
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ id: null, error: { code: -32700 } });
    expect(lines).toContainEqual({ jsonrpc: '2.0', id: 2, result: {} });
    expect(readFileSync(file, 'utf8')).toContain('upstreams');
  });
});
