/**
 * What a SIGKILL can cost the audit ledger, measured: run `switchyard serve` (bundled CLI) with the
 * default audit settings, keep 16 `echo` calls in flight, SIGKILL the gateway mid-load, then
 * count the calls that were answered successfully against the ledger records written for them.
 * Repeats a few times and prints the losses; `audit verify` must still pass on what remains.
 *
 *   node bench/ledger-sigkill.mjs [--runs 5] [--load-ms 2000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { McpHttpClient } from './client.mjs';
import { spawnNode, stop, stopAll, waitFor200, waitForLine } from './processes.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/switchyard.mjs');
const UPSTREAM = join(ROOT, 'bench/upstream.mjs');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'load-ms': { type: 'string', default: '2000' } },
});
const runs = Number(values.runs);
const loadMs = Number(values['load-ms']);

const work = mkdtempSync(join(tmpdir(), 'switchyard-sigkill-'));
const up = spawnNode('upstream', [UPSTREAM, '--port', '0']);
const [, upstreamUrl] = await waitForLine(up, /listening (\S+)/);
const rows = [];
try {
  for (let run = 1; run <= runs; run++) {
    const config = join(work, `run${run}.yaml`);
    writeFileSync(
      config,
      [
        'server: { host: 127.0.0.1, port: 0 }',
        `store: ${JSON.stringify(`sqlite:${join(work, `run${run}.db`)}`)}`,
        'log: { level: warn }',
        'reload: { watch: false }',
        'upstreams:',
        `  - { name: up, mcp: { url: ${JSON.stringify(upstreamUrl)} }, prefix: never }`,
      ].join('\n') + '\n',
    );
    const gw = spawnNode('switchyard', [CLI, 'serve', '--config', config]);
    const [, url] = await waitForLine(gw, /Switchyard MCP endpoint: (\S+)/);
    await waitFor200(new URL('/readyz', url).href, { child: gw });
    const client = new McpHttpClient(url, { connections: 16 });
    const session = await client.openSession();
    let answered = 0;
    let stopLoad = false;
    const loop = async () => {
      while (!stopLoad) {
        try {
          await session.callTool('echo', { text: 'x' });
          answered++;
        } catch {
          return; // the gateway is gone
        }
      }
    };
    const loops = Array.from({ length: 16 }, loop);
    await sleep(loadMs);
    gw.kill('SIGKILL');
    stopLoad = true;
    await Promise.all(loops);
    await client.close().catch(() => {});
    await stop(gw);
    const exported = execFileSync(process.execPath, [CLI, 'audit', 'export', '--config', config], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const recorded = exported
      .split('\n')
      .filter(Boolean)
      .filter((l) => {
        const e = JSON.parse(l).entry;
        return e.method === 'tools/call' && e.outcome === 'ok';
      }).length;
    let verify = 'ok';
    try {
      execFileSync(process.execPath, [CLI, 'audit', 'verify', '--config', config], { encoding: 'utf8' });
    } catch (err) {
      verify = String(err.stdout ?? err).trim();
    }
    rows.push({ run, answered, recorded, lost: answered - recorded, verify });
    console.error(
      `run ${run}: ${answered} answered, ${recorded} recorded, lost ${answered - recorded}, verify ${verify}`,
    );
  }
} finally {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}
const lost = rows.map((r) => r.lost);
const rate = rows.reduce((s, r) => s + r.answered, 0) / rows.length / (loadMs / 1000);
console.log(
  JSON.stringify({ runs: rows, maxLost: Math.max(...lost), meanCallsPerSec: Math.round(rate) }, null, 2),
);
