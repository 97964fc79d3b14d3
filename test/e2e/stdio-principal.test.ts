/** The stdio front runs as the configured local principal: policy and the ledger see it. */
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStdio, type StdioFront } from '../../src/mcp/front/stdio.js';
import { stdioFixture } from '../support/fixtures.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';

describe('stdio principal', () => {
  let gw: TestGateway;
  let front: StdioFront;
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const waiting = new Map<number, (msg: Record<string, unknown>) => void>();
  let id = 0;
  const request = (method: string, params?: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve) => {
      waiting.set(++id, resolve);
      stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`);
    });

  beforeAll(async () => {
    gw = await startGateway({
      auth: { required: true, stdio: { principal: 'desk', groups: ['laptop'] } },
      policies: [
        { name: 'laptop', effect: 'allow', principals: ['group:laptop'] },
        { name: 'no-env', effect: 'deny', principals: ['desk'], tools: ['env'] },
      ],
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
    front = await serveStdio(gw.gateway.core, stdin, stdout);
    createInterface({ input: stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg.id === 'number') waiting.get(msg.id)?.(msg);
    });
    await request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'd', version: '1' },
    });
  });
  afterAll(async () => {
    stdin.end();
    await front?.close();
    await gw?.stop();
  });

  it('applies policy to the configured principal and records it', async () => {
    const list = (await request('tools/list')) as { result: { tools: { name: string }[] } };
    const names = list.result.tools.map((t) => t.name);
    expect(names).toContain('local.echo');
    expect(names).not.toContain('local.env');
    const denied = (await request('tools/call', { name: 'local.env', arguments: { name: 'HOME' } })) as {
      error: { message: string };
    };
    expect(denied.error.message).toBe('Forbidden: desk may not use tool local.env');
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.find((e) => e.target === 'local.env')).toMatchObject({
      principal: 'desk',
      transport: 'stdio',
      decision: { effect: 'deny', rule: 'no-env' },
    });
  });
});
