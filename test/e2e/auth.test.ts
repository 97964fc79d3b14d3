/**
 * Authentication end to end: API keys and the admin token on /mcp and the admin API, through the
 * real gateway with the SDK client; every refusal is answered clearly and recorded in the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createKey } from '../../src/policy/keys.js';
import { startHttpFixture, stdioFixture, type HttpFixture } from '../support/fixtures.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';

const ADMIN_TOKEN = 'admin-token-0123456789';

async function connectAs(url: string, key?: string): Promise<Client> {
  const client = new Client({ name: 'auth-test', version: '1' });
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

describe('authentication (auth.required)', () => {
  let gw: TestGateway;
  let alice: string;
  let bob: string;
  let opsKey: string;
  const admin = (path: string, init: RequestInit = {}, token = ADMIN_TOKEN) =>
    fetch(gw.url.replace('/mcp', path), {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    gw = await startGateway({
      auth: { required: true, admins: ['group:ops'] },
      admin: { token: ADMIN_TOKEN },
      audit: { flushIntervalMs: 10 },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
    const keys = gw.gateway.core.store.apiKeys;
    alice = (await createKey(keys, { principal: 'alice' })).key;
    bob = (await createKey(keys, { principal: 'bob' })).key;
    opsKey = (await createKey(keys, { principal: 'olga', groups: ['ops'] })).key;
  });
  afterAll(() => gw.stop());

  it('refuses a request without a credential: 401 with a WWW-Authenticate challenge', async () => {
    const res = await post(gw.url, INIT);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="switchyard"/);
    const body = (await res.json()) as { error: { data: { code: string } } };
    expect(body.error.data.code).toBe('SWY_AUTH_REQUIRED');
    await expect(connectAs(gw.url)).rejects.toThrow(/a credential is required/);
  });

  it('refuses garbled, unknown and non-bearer credentials', async () => {
    for (const authorization of [
      'Bearer not-a-key',
      `Bearer ${alice}x`,
      'Basic YTpi',
      `Bearer ${alice.slice(0, 30)}`,
    ]) {
      const res = await post(gw.url, INIT, { authorization });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      const text = await res.text();
      expect(text).toContain('SWY_AUTH_INVALID');
      expect(text).not.toContain(alice.slice(22)); // the secret is never echoed
    }
  });

  it('serves a valid API key and records the principal in the ledger', async () => {
    const client = await connectAs(gw.url, alice);
    const out = await client.callTool({ name: 'local.echo', arguments: { text: 'hi' } });
    expect(out.content).toEqual([{ type: 'text', text: 'echo: hi' }]);
    await client.close();
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.find((e) => e.method === 'tools/call' && e.principal === 'alice')).toMatchObject({
      target: 'local.echo',
      outcome: 'ok',
    });
    expect(entries.some((e) => e.method === 'authenticate' && e.errorCode === 'SWY_AUTH_REQUIRED')).toBe(
      true,
    );
  });

  it('does not let another principal use a session it did not open', async () => {
    const client = await connectAs(gw.url, alice);
    const sessionId = (client as unknown as { _transport: StreamableHTTPClientTransport })._transport
      .sessionId!;
    const res = await post(
      gw.url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { authorization: `Bearer ${bob}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
    );
    expect(res.status).toBe(404);
    await client.close();
  });

  it('stops accepting a key the admin API revokes, at once', async () => {
    const created = await admin('/admin/keys', {
      method: 'POST',
      body: JSON.stringify({ principal: 'temp' }),
    });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    const client = await connectAs(gw.url, key);
    await client.listTools();
    await client.close();
    const list = await (await admin('/admin/keys')).text();
    expect(list).toContain(id);
    expect(list).not.toContain(key);
    expect((await admin(`/admin/keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    const res = await post(gw.url, INIT, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('the key was revoked');
    expect((await admin(`/admin/keys/${id}`, { method: 'DELETE' })).status).toBe(404);
    // Changes through the admin API are on the ledger too (never with the key itself).
    const entries = await ledgerEntries(gw.gateway);
    const adminOps = entries.filter((e) => e.front === 'admin');
    expect(adminOps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'POST /admin/keys', principal: 'admin', outcome: 'ok' }),
        expect.objectContaining({
          method: 'DELETE /admin/keys',
          target: id,
          principal: 'admin',
          outcome: 'ok',
        }),
        expect.objectContaining({ method: 'DELETE /admin/keys', target: id, errorCode: 'SWY_KEY_NOT_FOUND' }),
      ]),
    );
    expect(JSON.stringify(entries)).not.toContain(key);
  });

  it('lists keys a page at a time, following `next`, and for one principal', async () => {
    for (let i = 0; i < 5; i++) {
      const created = await admin('/admin/keys', {
        method: 'POST',
        body: JSON.stringify({ principal: i % 2 ? 'pager-odd' : 'pager-even' }),
      });
      expect(created.status).toBe(201);
    }
    type Page = { keys: { id: string; principal: string }[]; next: string | null };
    const all = (await (await admin('/admin/keys?limit=1000')).json()) as Page;
    expect(all.next).toBeNull();
    const seen: string[] = [];
    let next: string | null = '';
    while (next !== null) {
      const page = (await (
        await admin(`/admin/keys?limit=2${next ? `&after=${encodeURIComponent(next)}` : ''}`)
      ).json()) as Page;
      expect(page.keys.length).toBeLessThanOrEqual(2);
      seen.push(...page.keys.map((k) => k.id));
      next = page.next;
    }
    expect(seen).toEqual(all.keys.map((k) => k.id));
    const odd = (await (await admin('/admin/keys?principal=pager-odd')).json()) as Page;
    expect(odd.keys.map((k) => k.principal)).toEqual(['pager-odd', 'pager-odd']);
    for (const bad of ['limit=0', 'limit=1001', 'limit=x', 'after=nope', 'after=1.zz']) {
      const res = await admin(`/admin/keys?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
        'SWY_ADMIN_BAD_REQUEST',
      );
    }
  });

  it('refuses an expired key', async () => {
    const { key } = await createKey(gw.gateway.core.store.apiKeys, {
      principal: 'late',
      expiresAt: Date.now() - 1000,
    });
    const res = await post(gw.url, INIT, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('the key has expired');
  });

  it('admin API: admin token and admin groups are in, other principals are not', async () => {
    expect((await admin('/admin/upstreams')).status).toBe(200);
    expect((await admin('/admin/upstreams', {}, opsKey)).status).toBe(200);
    const denied = await admin('/admin/upstreams', {}, alice);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('SWY_ADMIN_NOT_ADMIN');
    expect((await admin('/admin/upstreams', {}, 'wrong-token-0123456789')).status).toBe(401);
    expect((await fetch(gw.url.replace('/mcp', '/admin/upstreams'))).status).toBe(401);
  });
});

describe('authentication off (the default)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ upstreams: [{ name: 'local', mcp: stdioFixture('local') }] });
  });
  afterAll(() => gw.stop());

  it('runs requests without a credential as anonymous, but still checks one that is sent', async () => {
    const client = await connectAs(gw.url);
    await client.listTools();
    await client.close();
    expect((await post(gw.url, INIT, { authorization: 'Bearer nope' })).status).toBe(401);
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.find((e) => e.method === 'tools/list')).toMatchObject({ principal: 'anonymous' });
  });
});

describe('credentials towards upstreams', () => {
  let gw: TestGateway;
  let remote: HttpFixture;
  beforeAll(async () => {
    remote = await startHttpFixture('remote');
    gw = await startGateway({
      auth: { required: true },
      upstreams: [
        { name: 'remote', mcp: { url: remote.url, headers: { authorization: 'Bearer upstream-own-token' } } },
      ],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await remote?.stop();
  });

  it("never passes the client's token through: the upstream sees only its own credential", async () => {
    const { key } = await createKey(gw.gateway.core.store.apiKeys, { principal: 'alice' });
    const client = await connectAs(gw.url, key);
    const out = await client.callTool({ name: 'remote.authorization', arguments: {} });
    expect(out.content).toEqual([{ type: 'text', text: 'Bearer upstream-own-token' }]);
    await client.close();
  });
});
