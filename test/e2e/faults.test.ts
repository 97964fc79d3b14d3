/**
 * Faults: upstreams that crash, hang, write garbage or are slow, and clients that cancel or
 * disconnect. Each failure is reported naming the upstream, within its timeout, and nothing else
 * is affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { startHttpFixture, stdioFixture, type HttpFixture } from '../support/fixtures.js';
import { startGarbageServer } from '../support/garbage-http.js';
import { alive } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const textOf = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

describe('upstream faults', () => {
  let http: HttpFixture;
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    http = await startHttpFixture('remote');
    gw = await startGateway({
      upstreams: [
        { name: 'local', mcp: stdioFixture('local'), timeoutMs: 800, restart: { initialDelayMs: 100 } },
        { name: 'remote', mcp: { url: http.url }, timeoutMs: 800 },
        { name: 'steady', mcp: stdioFixture('steady') },
      ],
    });
    ({ client } = await connect(gw.url));
  });

  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    await http?.stop();
  });

  /** How many requests the upstream has seen cancelled so far. */
  const cancelledOn = async (up: string) =>
    (JSON.parse(textOf(await client.callTool({ name: `${up}.cancelled`, arguments: {} }))) as string[])
      .length;
  /** How many calls of `tool` (slow, hang) the upstream is running now. */
  const runningOn = async (up: string, tool: 'slow' | 'hang') =>
    (
      JSON.parse(textOf(await client.callTool({ name: `${up}.running`, arguments: {} }))) as Record<
        string,
        number
      >
    )[tool]!;

  it('a hanging upstream gets a timeout error naming it, and the upstream is told to cancel', async () => {
    await expect(client.callTool({ name: 'local.hang', arguments: {} })).rejects.toThrow(
      /Upstream "local" did not answer tools\/call within 800 ms/,
    );
    await expect.poll(() => cancelledOn('local')).toBeGreaterThan(0);
  });

  it('progress resets the timeout; without progress the same wait times out', async () => {
    const r = await client.callTool({ name: 'remote.slow', arguments: { ms: 1500, steps: 6 } }, undefined, {
      onprogress: () => {},
    });
    expect(textOf(r)).toBe('slept 1500');
    await expect(client.callTool({ name: 'remote.slow', arguments: { ms: 1500, steps: 0 } })).rejects.toThrow(
      /Upstream "remote" did not answer/,
    );
  });

  it('garbage on an upstream’s stdout is skipped; the call still answers', async () => {
    const r = await client.callTool({ name: 'local.garbage', arguments: {} });
    expect(textOf(r)).toBe('still here');
  });

  it('a client cancellation reaches the upstream', async () => {
    const before = await cancelledOn('remote');
    const hanging = await runningOn('remote', 'hang');
    const ac = new AbortController();
    const call = client.callTool({ name: 'remote.hang', arguments: {} }, undefined, { signal: ac.signal });
    await waitFor(async () => (await runningOn('remote', 'hang')) > hanging, {
      what: 'remote.hang is running upstream',
    });
    ac.abort('changed my mind');
    await expect(call).rejects.toThrow();
    await expect.poll(() => cancelledOn('remote')).toBeGreaterThan(before);
  });

  it('a client that disconnects mid-call has its call cancelled upstream', async () => {
    const before = await cancelledOn('local');
    const hanging = await runningOn('local', 'hang');
    const init = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });
    const sid = init.headers.get('mcp-session-id')!;
    const ac = new AbortController();
    const pending = fetch(gw.url, {
      method: 'POST',
      signal: ac.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sid,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'local.hang', arguments: {} },
      }),
    }).catch(() => undefined);
    await waitFor(async () => (await runningOn('local', 'hang')) > hanging, {
      what: 'local.hang is running upstream',
    });
    ac.abort();
    await pending;
    await expect.poll(() => cancelledOn('local')).toBeGreaterThan(before);
  });

  it('a crashing stdio upstream fails the call naming it; its tools leave and come back after restart', async () => {
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++);
    const pid = Number(textOf(await client.callTool({ name: 'local.pid', arguments: {} })));
    // The crash itself ends the call (not the upstream's timeout running out).
    await expect(client.callTool({ name: 'local.crash', arguments: {} })).rejects.toThrow(
      /Upstream "local" (is unavailable|failed during)/,
    );
    expect(alive(pid)).toBe(false);
    // The others are unaffected meanwhile.
    expect(textOf(await client.callTool({ name: 'steady.whoami', arguments: {} }))).toBe('steady');
    await expect.poll(() => changes).toBeGreaterThan(0);
    await expect
      .poll(async () => (await client.listTools()).tools.some((t) => t.name === 'local.whoami'), {
        timeout: 10_000,
      })
      .toBe(true);
    const newPid = Number(textOf(await client.callTool({ name: 'local.pid', arguments: {} })));
    expect(newPid).not.toBe(pid);
  });

  it('a killed HTTP upstream (kill -9 mid-call) fails the call naming it; the rest keep working', async () => {
    const slow = await runningOn('remote', 'slow');
    const call = client.callTool({ name: 'remote.slow', arguments: { ms: 5000, steps: 0 } });
    await waitFor(async () => (await runningOn('remote', 'slow')) > slow, {
      what: 'remote.slow is running upstream',
    });
    http.process.kill('SIGKILL');
    await expect(call).rejects.toThrow(/Upstream "remote"/);
    expect(textOf(await client.callTool({ name: 'steady.whoami', arguments: {} }))).toBe('steady');
    // Its tools are gone from the list, and calling one says which upstream is down.
    await expect
      .poll(async () => (await client.listTools()).tools.some((t) => t.name === 'remote.whoami'))
      .toBe(false);
    await expect(client.callTool({ name: 'remote.whoami', arguments: {} })).rejects.toThrow(
      /Upstream "remote" is unavailable/,
    );
  });
});

describe('an HTTP upstream that answers garbage', () => {
  it('fails the call naming the upstream and keeps serving', async () => {
    const garbage = await startGarbageServer();
    const gw = await startGateway({
      upstreams: [
        { name: 'junk', mcp: { url: garbage.url } },
        { name: 'ok', mcp: stdioFixture('ok') },
      ],
    });
    const { client } = await connect(gw.url);
    try {
      await expect(client.callTool({ name: 'junk.broken', arguments: {} })).rejects.toThrow(
        /Upstream "junk" failed during tools\/call: invalid JSON from upstream/,
      );
      expect(textOf(await client.callTool({ name: 'ok.whoami', arguments: {} }))).toBe('ok');
    } finally {
      await client.close();
      await gw.stop();
      garbage.server.close();
    }
  });
});

describe('health checks', () => {
  it('restarts an upstream that stops answering pings', async () => {
    const gw = await startGateway({
      upstreams: [
        {
          name: 'frozen',
          mcp: stdioFixture('frozen'),
          timeoutMs: 300,
          healthCheck: { intervalMs: 150, timeoutMs: 100, failures: 2 },
          restart: { initialDelayMs: 50 },
        },
      ],
    });
    const { client } = await connect(gw.url);
    try {
      const pid = Number(textOf(await client.callTool({ name: 'frozen.pid', arguments: {} })));
      await client.callTool({ name: 'frozen.freeze', arguments: { ms: 5000 } }).catch(() => {});
      await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
      await expect
        .poll(
          async () =>
            textOf(
              await client
                .callTool({ name: 'frozen.whoami', arguments: {} })
                .catch(() => ({ content: [{ text: '' }] })),
            ),
          {
            timeout: 10_000,
          },
        )
        .toBe('frozen');
      const m = await (await fetch(gw.url.replace('/mcp', '/metrics'))).text();
      expect(m).toMatch(/switchyard_upstream_connection_losses_total\{upstream="frozen"\} [1-9]/);
    } finally {
      await client.close();
      await gw.stop();
    }
  });
});

describe('process groups', () => {
  it('reaps a wrapped stdio server when its wrapper dies and when the gateway stops', async () => {
    const fixture = stdioFixture('wrapped');
    // `sh -c "…; exit"` keeps the shell as a parent: the server is a grandchild of the gateway.
    const wrapped = {
      command: '/bin/sh',
      args: ['-c', `${[fixture.command, ...fixture.args].map((a) => `'${a}'`).join(' ')}; exit $?`],
      env: fixture.env,
    };
    const gw = await startGateway({
      upstreams: [{ name: 'w', mcp: wrapped, restart: { initialDelayMs: 50 } }],
    });
    const { client } = await connect(gw.url);
    try {
      const pid = Number(textOf(await client.callTool({ name: 'w.pid', arguments: {} })));
      const status = gw.gateway.core.upstream('w')!;
      expect(status.state).toBe('ready');
      // Kill only the wrapper shell: the server it started must not be left running.
      const { execFileSync } = await import('node:child_process');
      const shell = Number(
        execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)])
          .toString()
          .trim(),
      );
      process.kill(shell, 'SIGKILL');
      await expect.poll(() => alive(pid)).toBe(false);
      // It is restarted: a new server process answers.
      let pid2 = pid;
      await expect
        .poll(
          async () => {
            pid2 = Number(
              textOf(
                await client
                  .callTool({ name: 'w.pid', arguments: {} })
                  .catch(() => ({ content: [{ text: String(pid) }] })),
              ),
            );
            return pid2;
          },
          { timeout: 10_000 },
        )
        .not.toBe(pid);
      await client.close();
      await gw.stop();
      expect(alive(pid2)).toBe(false);
    } finally {
      await gw.stop();
    }
  });
});
