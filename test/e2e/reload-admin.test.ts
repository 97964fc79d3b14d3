/**
 * Changing upstreams while the gateway runs: hot reload of the config file (whole-snapshot swap,
 * calls in flight unaffected, invalid files ignored) and the admin API (persisted in the store).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { Gateway, loadConfigFile } from '../../src/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { adminFetch, connect, startGateway, type TestGateway } from '../support/gateway.js';
import { stdioFixture } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const toolNames = async (c: Client) => (await c.listTools()).tools.map((t) => t.name).sort();

describe('hot reload', () => {
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
  });

  it('applies a changed file as a whole, keeps calls in flight, and ignores an invalid file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-reload-'));
    const file = join(dir, 'switchyard.yaml');
    const base = {
      server: { port: 0 },
      store: `sqlite:${join(dir, 'db.sqlite')}`,
      reload: { debounceMs: 50 },
      log: { level: 'error' }, // a reload applies it to the logger below
    };
    writeFileSync(file, stringify({ ...base, upstreams: [{ name: 'a', mcp: stdioFixture('a') }] }));
    // Its errors are kept: a rejected reload is only seen in the log.
    const logged = new PassThrough();
    let errors = '';
    logged.on('data', (d: Buffer) => (errors += d.toString()));
    gateway = new Gateway(await loadConfigFile(file), createLogger('error', logged), { configPath: file });
    await gateway.start();
    await gateway.core.upstreamsStarted();
    const { client } = await connect(gateway.url!);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    expect(await toolNames(client)).toContain('a.echo');

    // A call in flight on `a` while `a` is replaced (its timeout changes) and `b` is added.
    const inFlight = client.callTool({ name: 'a.slow', arguments: { ms: 1500 } });
    writeFileSync(
      file,
      stringify({
        ...base,
        upstreams: [
          { name: 'a', mcp: stdioFixture('a'), timeoutMs: 60_000 },
          { name: 'b', mcp: stdioFixture('b') },
        ],
      }),
    );
    await expect.poll(() => gateway!.core.upstream('b')?.state, { timeout: 15_000 }).toBe('ready');
    await expect.poll(() => changed).toBeGreaterThan(0);
    expect(await toolNames(client)).toEqual(expect.arrayContaining(['a.echo', 'b.echo']));
    expect((await inFlight).content).toEqual([{ type: 'text', text: 'slept 1500' }]);
    expect(gateway.config.upstreams[0]!.timeoutMs).toBe(60_000);

    // An invalid file changes nothing.
    writeFileSync(file, 'upstreams:\n  - name: b\n    mcp: { url: not-a-url }\n');
    await waitFor(() => errors.includes('config reload rejected'), { what: 'the invalid file was rejected' });
    expect(gateway.config.upstreams.map((u) => u.name)).toEqual(['a', 'b']);
    expect((await client.callTool({ name: 'b.whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'b' },
    ]);

    // Removing an upstream takes its tools away.
    writeFileSync(file, stringify({ ...base, upstreams: [{ name: 'b', mcp: stdioFixture('b') }] }));
    await expect
      .poll(async () => (await toolNames(client)).some((n) => n.startsWith('a.')), { timeout: 15_000 })
      .toBe(false);
    await client.close();
  });
});

describe('admin API', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  const admin = (gw: TestGateway, path: string, init: RequestInit = {}) => adminFetch(gw, path, init);

  it('adds, lists and removes upstreams at runtime, persisted across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-admin-'));
    const store = `sqlite:${join(dir, 'db.sqlite')}`;
    const adminConfig = { allowStdioUpstreams: true };
    gw = await startGateway({
      store,
      admin: adminConfig,
      upstreams: [{ name: 'base', mcp: stdioFixture('base') }],
    });
    const { client } = await connect(gw.url);

    const added = await admin(gw, '/upstreams', {
      method: 'POST',
      body: JSON.stringify({ name: 'extra', mcp: stdioFixture('extra') }),
    });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ name: 'extra', origin: 'admin', state: 'ready' });
    await expect.poll(() => toolNames(client)).toContain('extra.echo');

    const dup = await admin(gw, '/upstreams', {
      method: 'POST',
      body: JSON.stringify({ name: 'base', mcp: stdioFixture() }),
    });
    expect(dup.status).toBe(409);
    const bad = await admin(gw, '/upstreams', {
      method: 'POST',
      body: JSON.stringify({ name: 'x', mcp: { url: 'ftp://nope' } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('mcp.url');
    expect((await admin(gw, '/upstreams/base', { method: 'DELETE' })).status).toBe(409);

    const list = (await (await admin(gw, '/upstreams')).json()) as { upstreams: { name: string }[] };
    expect(list.upstreams.map((u) => u.name)).toEqual(['base', 'extra']);
    await client.close();
    await gw.stop();

    // The runtime upstream comes back with the store.
    gw = await startGateway({
      store,
      admin: adminConfig,
      upstreams: [{ name: 'base', mcp: stdioFixture('base') }],
    });
    const again = (await connect(gw.url)).client;
    expect(await toolNames(again)).toContain('extra.echo');
    expect((await admin(gw, '/upstreams/extra', { method: 'DELETE' })).status).toBe(204);
    await expect.poll(() => toolNames(again)).not.toContain('extra.echo');
    expect((await admin(gw, '/upstreams/extra', { method: 'DELETE' })).status).toBe(404);
    await again.close();
  });

  it('requires the admin token when one is configured', async () => {
    gw = await startGateway({ admin: { token: 'a-long-enough-admin-token' } });
    const url = gw.url.replace(/\/mcp$/, '/admin/upstreams');
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(
      401,
    );
    const ok = await fetch(url, { headers: { authorization: 'Bearer a-long-enough-admin-token' } });
    expect(ok.status).toBe(200);
  });
});
