/**
 * Schema validation and JSON bombs end to end: invalid arguments are refused by the gateway (the
 * upstream never sees them), deep nesting is refused at the front, and the gateway carries on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { stdioFixture } from '../support/fixtures.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';

describe('tool argument validation', () => {
  let gw: TestGateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway({ upstreams: [{ name: 'local', mcp: stdioFixture('local') }] });
    ({ client } = await connect(gw.url));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
  });

  it('refuses arguments that break the inputSchema before they reach the upstream', async () => {
    // A tool execution error, so that a model can correct its call (MCP 2025-11-25 §Tools).
    expect(await client.callTool({ name: 'local.add', arguments: { a: 1, b: 'two' } })).toEqual({
      content: [{ type: 'text', text: 'Invalid arguments for tool local.add: b: must be number' }],
      isError: true,
    });
    expect((await client.callTool({ name: 'local.echo', arguments: {} })).content).toEqual([
      {
        type: 'text',
        text: "Invalid arguments for tool local.echo: (root): must have required property 'text'",
      },
    ]);
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.find((e) => e.target === 'local.add')).toMatchObject({
      outcome: 'error',
      errorCode: 'SWY_INVALID_ARGUMENTS',
      upstream: 'local',
    });
    // Valid calls pass, and structured output is checked against the outputSchema.
    const ok = await client.callTool({ name: 'local.add', arguments: { a: 1, b: 2 } });
    expect(ok.structuredContent).toEqual({ sum: 3 });
  });

  it('refuses a JSON bomb with 400 and keeps serving', async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"local.echo","arguments":{"text":${deep}}}}`,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('nested deeper than 64 levels');
    expect(
      (await client.callTool({ name: 'local.echo', arguments: { text: 'still here' } })).content,
    ).toEqual([{ type: 'text', text: 'echo: still here' }]);
  });
});
