/** Rate limits end to end: 429 with Retry-After, a clear error, a ledger record and a metric. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { stdioFixture } from '../support/fixtures.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';

describe('rate limits', () => {
  let gw: TestGateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway({
      rateLimits: [{ name: 'echo-hourly', tools: ['echo'], rate: 2, per: 'hour' }],
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
    ({ client } = await connect(gw.url));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
  });

  it('refuses calls beyond the limit with 429 and Retry-After; other tools are not affected', async () => {
    await client.callTool({ name: 'local.echo', arguments: { text: '1' } });
    await client.callTool({ name: 'local.echo', arguments: { text: '2' } });
    await expect(client.callTool({ name: 'local.echo', arguments: { text: '3' } })).rejects.toThrow(
      /Too many requests: limit echo-hourly allows 2 per hour; retry after 1800 s/,
    );
    expect((await client.callTool({ name: 'local.whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'local' },
    ]);
    const transport = (client as unknown as { _transport: { sessionId: string } })._transport;
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': transport.sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'local.echo', arguments: { text: '4' } },
      }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1800');
    expect(((await res.json()) as { error: { data: unknown } }).error.data).toMatchObject({
      code: 'SWY_RATE_LIMITED',
      retryAfter: 1800,
    });
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.filter((e) => e.errorCode === 'SWY_RATE_LIMITED')).toHaveLength(2);
    expect(await gw.gateway.core.metrics.text()).toContain(
      'switchyard_rate_limited_total{limit="echo-hourly"} 2',
    );
  });
});
