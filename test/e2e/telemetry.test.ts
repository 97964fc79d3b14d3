/** Health, readiness, Prometheus metrics and log lines as a client and an operator see them. */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createGateway } from '../../src/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { stdioFixture } from '../support/fixtures.js';

describe('health, readiness and metrics', () => {
  let gw: TestGateway;
  let client: Client;
  const get = (path: string) => fetch(gw.url.replace('/mcp', path));

  beforeAll(async () => {
    gw = await startGateway({
      upstreams: [
        { name: 'local', mcp: stdioFixture('local') },
        { name: 'gone', mcp: { command: '/nonexistent/server' }, restart: { initialDelayMs: 60_000 } },
      ],
    });
    ({ client } = await connect(gw.url));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
  });

  it('reports liveness and, per upstream, readiness with the reason one is down', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { upstreams: { name: string; state: string; error?: string }[] };
    expect(body.upstreams.find((u) => u.name === 'local')).toMatchObject({
      state: 'ready',
      tools: expect.any(Number),
    });
    expect(body.upstreams.find((u) => u.name === 'gone')).toMatchObject({
      state: 'restarting',
      error: expect.stringContaining('command not found: /nonexistent/server'),
    });
  });

  it('counts calls and errors per upstream and tool, with latency histograms', async () => {
    await client.callTool({ name: 'local.echo', arguments: { text: 'a' } });
    await client.callTool({ name: 'local.echo', arguments: { text: 'b' } });
    await client.callTool({ name: 'nope', arguments: {} }).catch(() => {});
    const text = await (await get('/metrics')).text();
    expect(text).toContain(
      'switchyard_mcp_requests_total{method="tools/call",upstream="local",tool="local.echo",outcome="ok"} 2',
    );
    expect(text).toContain(
      'switchyard_mcp_requests_total{method="tools/call",upstream="",tool="",outcome="error"} 1',
    );
    expect(text).toMatch(
      /switchyard_mcp_request_duration_seconds_count\{method="tools\/call",upstream="local",tool="local.echo"\} 2/,
    );
    expect(text).toContain('switchyard_upstream_up{upstream="local"} 1');
    expect(text).toContain('switchyard_upstream_up{upstream="gone"} 0');
    expect(text).toMatch(/switchyard_mcp_sessions [1-9]/);
  });
});

describe('the debug log line of a request', () => {
  it('redacts the argument keys the ledger redacts', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d) => (text += String(d)));
    const gateway = createGateway(
      {
        store: 'sqlite::memory:',
        server: { port: 0 },
        reload: { watch: false },
        upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
      },
      { logger: createLogger('debug', stream) },
    );
    await gateway.start();
    await gateway.core.upstreamsStarted();
    try {
      const { client } = await connect(gateway.url!);
      await client.callTool({
        name: 'local.echo',
        arguments: { text: 'hello', password: 's3cret', nested: { apiKey: 'k-7f3a9' } },
      });
      await client.close();
    } finally {
      await gateway.stop();
    }
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg?: string; req?: { method?: string; args?: unknown } });
    const call = lines.find((l) => l.msg === 'request' && l.req?.method === 'tools/call');
    expect(call?.req?.args).toEqual({
      text: 'hello',
      password: '[redacted]',
      nested: { apiKey: '[redacted]' },
    });
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('k-7f3a9');
  });
});
