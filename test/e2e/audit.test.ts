/**
 * The audit ledger end to end: a real `switchyard serve` process, SDK client calls, SIGTERM, then
 * the real `switchyard audit` commands reading the store it left behind.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runCli, startServe } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';
import { rawSql } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

type Line = { seq: number; entry: Record<string, unknown> };

async function exportLines(file: string): Promise<Line[]> {
  const exported = await runCli(['audit', 'export', '--config', file]);
  expect(exported.code).toBe(0);
  return exported.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

/** Start the gateway, make `calls` echo calls, stop it with `signal`. */
async function run(
  file: string,
  calls: number,
  signal: NodeJS.Signals = 'SIGTERM',
  beforeKill?: () => Promise<void>,
) {
  const { child, url } = await startServe(['--config', file]);
  const client = new Client({ name: 't', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  for (let i = 0; i < calls; i++)
    await client.callTool({ name: 'local.echo', arguments: { text: `call ${i}` } });
  await beforeKill?.();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}

function setup(audit: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'swy-audit-'));
  const db = join(dir, 'db.sqlite');
  const file = join(dir, 'switchyard.yaml');
  writeFileSync(
    file,
    stringify({
      server: { port: 0 },
      store: `sqlite:${db}`,
      log: { level: 'warn' },
      // Nothing is flushed before the stop: every record below is written by the SIGTERM path.
      audit: { flushIntervalMs: 600_000, batchSize: 10_000, storeArguments: true, ...audit },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    }),
  );
  return { dir, db, file };
}

describe('audit ledger through the real CLI', () => {
  it('loses no record on SIGTERM; verify, export and tail read it back', async () => {
    const { db, file } = setup();
    const { child, url } = await startServe(['--config', file]);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const N = 25;
    for (let i = 0; i < N; i++) {
      await client.callTool({ name: 'local.echo', arguments: { text: `hi ${i}`, password: 'hunter2' } });
    }
    await client.callTool({ name: 'local.nope', arguments: {} }).catch(() => {});
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const verify = await runCli(['audit', 'verify', '--config', file]);
    expect(verify.stdout).toMatch(/^ledger ok: \d+ records/);
    expect(verify.code).toBe(0);

    const exported = await runCli([
      'audit',
      'export',
      '--config',
      file,
      '--since',
      '1h',
      '--format',
      'jsonl',
    ]);
    expect(exported.code).toBe(0);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; entry: Record<string, unknown> });
    const calls = lines.filter((l) => l.entry.method === 'tools/call');
    expect(calls.filter((l) => l.entry.outcome === 'ok')).toHaveLength(N);
    expect(calls[0]!.entry).toMatchObject({
      front: 'mcp',
      principal: 'anonymous',
      upstream: 'local',
      target: 'local.echo',
      args: { text: 'hi 0', password: '[redacted]' },
    });
    expect(calls[0]!.entry.argsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(calls.at(-1)!.entry).toMatchObject({ outcome: 'error', errorCode: 'SWY_TOOL_NOT_FOUND' });
    expect(exported.stdout).not.toContain('hunter2');
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));

    const tail = await runCli(['audit', 'tail', '--config', file, '-n', '2']);
    expect(tail.stdout.trim().split('\n')).toHaveLength(2);

    // Someone edits a row: verify names it and fails.
    await rawSql(
      `sqlite:${db}`,
      `update audit_ledger set entry = replace(entry, 'hi 3', 'hi 4') where seq = ?`,
      [calls[3]!.seq],
    );
    const broken = await runCli(['audit', 'verify', '--config', file]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`ledger BROKEN at record ${calls[3]!.seq} (edited)`);
    // Several real CLI processes in sequence: slow on a loaded 2-core machine, so a generous limit.
  }, 120_000);

  it('notices the newest records deleted with their checkpoints; the gateway refuses until acknowledged', async () => {
    const { db, file } = setup({ storeArguments: false });
    expect(await run(file, 6)).toBe(0);
    const before = await exportLines(file);
    const last = before.at(-1)!.seq;
    const cut = last - 2;
    await rawSql(`sqlite:${db}`, `delete from audit_ledger where seq >= ?`, [cut]);
    await rawSql(`sqlite:${db}`, `delete from audit_checkpoints where seq >= ?`, [cut]);

    const verify = await runCli(['audit', 'verify', '--config', file]);
    expect(verify.stdout).toContain(
      `ledger BROKEN at record ${cut} (truncated): records ${cut}–${last} are missing`,
    );
    expect(verify.code).toBe(1);
    // What caught it: the key and the head file the gateway created beside the store on its first start.
    expect(existsSync(`${db}.ledger.key`)).toBe(true);
    expect(existsSync(`${db}.ledger.head`)).toBe(true);

    // Restarting does not continue from the cut: it refuses with the catalogue error.
    const refused = await startServe(['--config', file]).then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(refused).toContain('SWY_LEDGER_TAMPERED');
    expect(refused).toContain(`records ${cut}–${last} are missing`);
    expect(refused).toContain('switchyard audit acknowledge');

    const ack = await runCli(['audit', 'acknowledge', '--config', file, '--reason', 'e2e test']);
    expect(ack.stdout).toContain(`acknowledged (truncated): records ${cut}–${last} are missing`);
    expect(ack.code).toBe(0);

    expect(await run(file, 2)).toBe(0);
    const ok = await runCli(['audit', 'verify', '--config', file]);
    expect(ok.stdout).toMatch(/^ledger ok: \d+ records, \d+ checkpoints \(\d+ signed\), head file at \d+/);
    expect(ok.code).toBe(0);
    const lines = await exportLines(file);
    expect(lines.find((l) => l.entry.alert === 'ledger_tampering_acknowledged')).toMatchObject({
      seq: cut,
      entry: {
        kind: 'alert',
        front: 'admin',
        method: 'audit acknowledge',
        detail: {
          reason: 'e2e test',
          findings: [{ problem: 'truncated', missing: { from: cut, to: last } }],
        },
      },
    });
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
  }, 180_000);

  it('a SIGKILL is not tampering: the gateway starts again and verify passes', async () => {
    const { db, file } = setup({ flushIntervalMs: 20, batchSize: 2, checkpointEvery: 3 });
    const written = async () => {
      // Records are flushed in the background; kill only once a checkpoint reached the head file.
      await waitFor(() => existsSync(`${db}.ledger.head`), {
        what: 'a head file written',
        tries: 600,
        intervalMs: 50,
      });
    };
    expect(await run(file, 8, 'SIGKILL', written)).toBe(null);
    expect(await run(file, 3)).toBe(0);
    const verify = await runCli(['audit', 'verify', '--config', file]);
    expect(verify.stdout).toMatch(/^ledger ok: /);
    expect(verify.code).toBe(0);
  }, 120_000);
});
