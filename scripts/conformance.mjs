/**
 * `npm run conformance`: the official MCP conformance suite (@modelcontextprotocol/conformance,
 * server scenarios, active suite) run against the gateway, which fronts the project's own fixture
 * server (test/support/conformance-server.ts) — once with the fixture as a Streamable HTTP
 * upstream and once as a stdio upstream. Prints the suite's own `Total:` line for each run and
 * exits non-zero if any scenario failed.
 *
 * The suite needs Node 22's fs.globSync; on Node 20 it runs with a small loader shim
 * (scripts/conformance/node20-shim.mjs).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const FIXTURE = 'test/support/conformance-server.ts';
const SUITE = 'node_modules/@modelcontextprotocol/conformance/dist/index.js';
const SHIM = './scripts/conformance/node20-shim.mjs';
const children = new Set();

/** Start a child process and wait for the first stdout line matching `pattern`. */
function startAndWait(args, pattern, env = {}) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out starting ${args.join(' ')}\n${stderr}`)),
      60_000,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = pattern.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}\n${stderr}`)));
  });
}

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.once('exit', (code) => resolve({ code, out }));
  });
}

async function conformanceVia(label, upstreamMcp, dir) {
  const config = join(dir, `${label}.yaml`);
  writeFileSync(
    config,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      `store: sqlite:${join(dir, `${label}.db`)}`,
      'log: { level: warn }',
      'reload: { watch: false }',
      'upstreams:',
      '  - name: conformance',
      `    mcp: ${JSON.stringify(upstreamMcp)}`,
      '    prefix: never',
      '',
    ].join('\n'),
  );
  const { child: gateway, match: url } = await startAndWait(
    ['dist/switchyard.mjs', 'serve', '--config', config],
    /^Switchyard MCP endpoint: (\S+)/,
  );
  console.log(`\n=== conformance: gateway ${url} → fixture over ${label} ===`);
  const { code, out } = await run(['--import', SHIM, SUITE, 'server', '--url', url]);
  gateway.kill('SIGTERM');
  const total = /Total: (\d+) passed, (\d+) failed/.exec(out);
  return { label, code, total: total ? total[0] : '(no Total line)', failed: total ? Number(total[2]) : NaN };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'swy-conformance-'));
  const results = [];
  try {
    const { child: fixture, match: fixtureUrl } = await startAndWait(
      ['--import', 'tsx', FIXTURE, '--port', '0'],
      /^listening (\S+)/,
    );
    results.push(await conformanceVia('streamable-http', { url: fixtureUrl }, dir));
    fixture.kill('SIGTERM');
    results.push(
      await conformanceVia(
        'stdio',
        { command: process.execPath, args: ['--import', 'tsx', FIXTURE, '--stdio'] },
        dir,
      ),
    );
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n=== conformance summary (active server scenarios, through the gateway) ===');
  for (const r of results) console.log(`fixture over ${r.label.padEnd(15)} ${r.total}`);
  const ok = results.every((r) => r.code === 0 && r.failed === 0);
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  process.exit(1);
});
