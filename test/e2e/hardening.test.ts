/**
 * Hostile clients: slow-loris (headers and bodies that never finish), forged X-Forwarded-* headers,
 * and a non-loopback bind without authentication. Each is refused clearly; the gateway carries on.
 */
import { connect as netConnect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { request, type IncomingMessage } from 'node:http';
import { clientAddress } from '../../src/policy/client-address.js';
import { runCli } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';
import { adminFetch, connect, startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';

/** Send `text` and never finish; resolve with what the server answered once it closed the socket. */
function stall(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(port), hostname, () => socket.write(text));
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
}

describe('slow clients', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({
      server: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
  });
  afterAll(() => gw?.stop());

  it('drops a client that never finishes its headers or its body with 408, and keeps serving', async () => {
    const [headers, body] = await Promise.all([
      stall(gw.url, 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '),
      stall(
        gw.url,
        'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":',
      ),
    ]);
    expect(headers).toContain('408');
    expect(body).toContain('408');
    const { client } = await connect(gw.url);
    expect((await client.callTool({ name: 'local.whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'local' },
    ]);
    await client.close();
  });
});

describe('forged X-Forwarded-* headers', () => {
  /** An admin write (it is recorded on the ledger with the caller's address) with these headers. */
  const adminWrite = (gw: TestGateway, headers: Record<string, string>) =>
    adminFetch(gw, '/keys/no-such-key', { method: 'DELETE', headers });
  const clients = async (gw: TestGateway) =>
    (await ledgerEntries(gw.gateway)).filter((e) => e.front === 'admin').map((e) => e.client);

  it('are ignored unless the peer is a trusted proxy', async () => {
    const direct = await startGateway({ upstreams: [] });
    const proxied = await startGateway({ server: { trustedProxies: ['127.0.0.1'] }, upstreams: [] });
    try {
      // No trusted proxies: the TCP peer (loopback) is the caller, whatever the header claims.
      await adminWrite(direct, { 'x-forwarded-for': '203.0.113.9' });
      expect(await clients(direct)).toEqual(['127.0.0.1']);
      // Behind a trusted proxy, its X-Forwarded-For is believed; a client cannot launder its
      // address by prepending a loopback hop.
      await adminWrite(proxied, { 'x-forwarded-for': '203.0.113.9' });
      await adminWrite(proxied, { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' });
      expect(await clients(proxied)).toEqual(['203.0.113.9', '203.0.113.9']);
      // X-Forwarded-Host does not get a foreign Host past the DNS-rebinding guard (fetch cannot set Host).
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const u = new URL(direct.url);
        const r = request(
          {
            host: u.hostname,
            port: u.port,
            path: '/mcp',
            method: 'POST',
            headers: {
              host: 'evil.example',
              'x-forwarded-host': '127.0.0.1',
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        r.on('error', reject);
        r.end('{}');
      });
      expect(status).toBe(403);
    } finally {
      await direct.stop();
      await proxied.stop();
    }
  });

  it('client address: peer unless trusted, then the nearest untrusted hop', () => {
    const req = (peer: string, xff?: string) =>
      ({
        socket: { remoteAddress: peer },
        headers: xff ? { 'x-forwarded-for': xff } : {},
      }) as unknown as IncomingMessage;
    expect(clientAddress(req('10.0.0.5', '1.2.3.4'), [])).toBe('10.0.0.5');
    expect(clientAddress(req('10.0.0.5', '1.2.3.4'), ['10.0.0.9'])).toBe('10.0.0.5');
    expect(clientAddress(req('::ffff:10.0.0.9', '1.2.3.4, 10.0.0.8'), ['10.0.0.9', '10.0.0.8'])).toBe(
      '1.2.3.4',
    );
    expect(clientAddress(req('10.0.0.9', '6.6.6.6, 1.2.3.4'), ['10.0.0.9'])).toBe('1.2.3.4');
  });
});

describe('secure default bind', () => {
  it('switchyard serve refuses a non-loopback address without auth, and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-bind-'));
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, stringify({ store: `sqlite:${join(dir, 'db.sqlite')}`, server: { port: 0 } }));
    const r = await runCli(['serve', '--config', file, '--host', '0.0.0.0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0 without authentication');
    expect(r.stderr).toContain('--insecure-no-auth');
  });
});
