/**
 * The gateway takes clients as soon as it listens: an upstream that is slow, down or that never
 * answers its handshake joins later (clients are told with list_changed) and holds nobody off.
 * `/readyz` is ready once the gateway can serve, says where each upstream is, and waits only for
 * the upstreams named in `readiness.requireUpstreams`.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createGateway, type ConfigInput, type Gateway } from '../../src/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { startHttpFixture, stdioFixture, type HttpFixture } from '../support/fixtures.js';
import { connect } from '../support/gateway.js';
import { alive } from '../support/process.js';

/** A stdio "server" that reads its input and never answers: the handshake never ends. */
const NEVER_ANSWERS = { command: process.execPath, args: ['-e', 'process.stdin.resume()'] };
/** Long enough that waiting for it would time the test out. */
const FOREVER = 600_000;

let gateway: Gateway | undefined;
let fixture: HttpFixture | undefined;
afterEach(async () => {
  await gateway?.stop();
  await fixture?.stop();
  gateway = fixture = undefined;
});

/** A gateway started as `switchyard serve` starts it: nothing waits for the upstreams. */
async function start(config: ConfigInput): Promise<{ url: string; readyz: () => Promise<Readyz> }> {
  gateway = createGateway(
    { store: 'sqlite::memory:', server: { port: 0 }, reload: { watch: false }, ...config },
    { logger: silentLogger() },
  );
  await gateway.start();
  const url = gateway.url!;
  const readyz = async () => {
    const res = await fetch(url.replace(/\/mcp$/, '/readyz'));
    return { status: res.status, body: (await res.json()) as Readyz['body'] };
  };
  return { url, readyz };
}

interface Readyz {
  status: number;
  body: { status: string; waitingFor?: string[]; upstreams: { name: string; state: string }[] };
}

const stateOf = (r: Readyz, name: string) => r.body.upstreams.find((u) => u.name === name)?.state;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('start-up', () => {
  it('serves clients while an upstream never answers its handshake', async () => {
    const { url, readyz } = await start({
      upstreams: [
        { name: 'stuck', mcp: NEVER_ANSWERS, startTimeoutMs: FOREVER },
        { name: 'local', mcp: stdioFixture('local') },
      ],
    });
    const { client } = await connect(url);
    // The working upstream joins as it comes up; the stuck one is still in its handshake.
    await vi.waitFor(
      async () => expect((await client.listTools()).tools.map((t) => t.name)).toContain('local.whoami'),
      { timeout: 30_000, interval: 50 },
    );
    expect((await client.callTool({ name: 'local.whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'local' },
    ]);
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(stateOf(ready, 'stuck')).toBe('starting');
    expect(stateOf(ready, 'local')).toBe('ready');
    await client.close();
  });

  it('tells a client connected before an upstream is up when its tools arrive', async () => {
    const port = await freePort();
    const { url, readyz } = await start({
      upstreams: [
        {
          name: 'late',
          mcp: { url: `http://127.0.0.1:${port}/mcp` },
          restart: { initialDelayMs: 50, maxDelayMs: 200 },
        },
      ],
    });
    const { client } = await connect(url);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('late.whoami');
    expect((await readyz()).status).toBe(200); // nothing is required

    fixture = await startHttpFixture('late', 'streamable-http', port);
    await vi.waitFor(() => expect(changed).toBeGreaterThan(0), { timeout: 30_000, interval: 20 });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('late.whoami');
    expect(stateOf(await readyz(), 'late')).toBe('ready');
    await client.close();
  });

  it('reports not ready until every upstream in readiness.requireUpstreams is up', async () => {
    const port = await freePort();
    const { readyz } = await start({
      readiness: { requireUpstreams: ['needed'] },
      upstreams: [
        {
          name: 'needed',
          mcp: { url: `http://127.0.0.1:${port}/mcp` },
          restart: { initialDelayMs: 50, maxDelayMs: 200 },
        },
        { name: 'stuck', mcp: NEVER_ANSWERS, startTimeoutMs: FOREVER },
      ],
    });
    const before = await readyz();
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ status: 'starting', waitingFor: ['needed'] });

    fixture = await startHttpFixture('needed', 'streamable-http', port);
    await vi.waitFor(async () => expect((await readyz()).status).toBe(200), {
      timeout: 30_000,
      interval: 20,
    });
    // The stuck upstream is not required: it does not hold readiness.
    expect(stateOf(await readyz(), 'stuck')).toBe('starting');
  });

  it('refuses a readiness.requireUpstreams entry that names no upstream', () => {
    expect(() =>
      createGateway({
        readiness: { requireUpstreams: ['nope'] },
        upstreams: [{ name: 'a', mcp: stdioFixture('a') }],
      }),
    ).toThrow(/readiness\.requireUpstreams\[0\]: no upstream named "nope"/);
  });

  it('stops an upstream that is still in its handshake, leaving no process behind', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'swy-startup-')), 'pid');
    const silent = {
      command: process.execPath,
      args: [
        '-e',
        'require("fs").writeFileSync(process.env.PID_FILE, String(process.pid)); process.stdin.resume()',
      ],
      env: { PID_FILE: pidFile },
    };
    await start({ upstreams: [{ name: 'stuck', mcp: silent, startTimeoutMs: FOREVER }] });
    await vi.waitFor(() => expect(existsSync(pidFile) && readFileSync(pidFile, 'utf8')).toBeTruthy(), {
      timeout: 10_000,
      interval: 20,
    });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const stuck = gateway!.core.upstream('stuck')!;
    expect(stuck.state).toBe('starting');
    await gateway!.stop();
    expect(stuck.state).toBe('stopped');
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 10_000, interval: 20 });
  });
});
