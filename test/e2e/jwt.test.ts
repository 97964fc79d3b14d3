/**
 * JWT bearer tokens and the OAuth resource-server surface (MCP authorization 2025-11-25, RFC 9728)
 * end to end, against a local issuer serving its JWKS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { generateKeyPair } from 'jose';
import { stdioFixture } from '../support/fixtures.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startIssuer, type TestIssuer } from '../support/jwks-server.js';
import { ledgerEntries } from '../support/ledger.js';

const RESOURCE = 'https://mcp.example.test/mcp';
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('JWT bearer tokens (JWKS URL)', () => {
  let issuer: TestIssuer;
  let gw: TestGateway;
  const post = (token?: string) =>
    fetch(gw.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(INIT),
    });

  beforeAll(async () => {
    issuer = await startIssuer();
    gw = await startGateway({
      auth: {
        required: true,
        jwt: { issuer: issuer.issuer, jwksUrl: issuer.jwksUrl, requiredScopes: ['mcp:use'] },
        oauth: { resource: RESOURCE, authorizationServers: [issuer.issuer], scopesSupported: ['mcp:use'] },
      },
      audit: { flushIntervalMs: 10 },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await issuer?.stop();
  });

  it('serves Protected Resource Metadata at both well-known paths', async () => {
    const base = gw.url.replace('/mcp', '');
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        resource: RESOURCE,
        authorization_servers: [issuer.issuer],
        scopes_supported: ['mcp:use'],
        bearer_methods_supported: ['header'],
        resource_name: 'switchyard',
      });
    }
  });

  it('answers 401 with resource_metadata and the required scope', async () => {
    const res = await post();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="switchyard", scope="mcp:use", ' +
        'resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"',
    );
  });

  it('accepts a valid token: principal from sub, groups from the groups claim', async () => {
    const token = await issuer.sign({
      sub: 'ann@example.test',
      aud: RESOURCE,
      scope: 'mcp:use',
      groups: ['dev'],
    });
    const client = new Client({ name: 'jwt', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(gw.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    expect((await client.callTool({ name: 'local.whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'local' },
    ]);
    await client.close();
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.find((e) => e.method === 'tools/call')).toMatchObject({ principal: 'ann@example.test' });
  });

  it('refuses expired, wrong-audience, wrong-issuer, foreign-key and garbled tokens with 401', async () => {
    const other = await generateKeyPair('ES256');
    const cases: [string, string][] = [
      [
        await issuer.sign({
          sub: 'a',
          aud: RESOURCE,
          scope: 'mcp:use',
          exp: Math.floor(Date.now() / 1000) - 120,
        }),
        'the token has expired',
      ],
      [
        await issuer.sign({ sub: 'a', aud: 'https://other.example/mcp', scope: 'mcp:use' }),
        'not issued for this gateway',
      ],
      [
        await issuer.sign({ sub: 'a', aud: RESOURCE, scope: 'mcp:use', iss: 'https://evil.example' }),
        'unknown issuer',
      ],
      [
        await issuer.sign({ sub: 'a', aud: RESOURCE, scope: 'mcp:use' }, { key: other.privateKey }),
        'signature does not verify',
      ],
      ['eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA', 'the token'],
      ['a.b.c', 'the token is malformed'],
    ];
    for (const [token, reason] of cases) {
      const res = await post(token);
      expect(res.status, reason).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await res.text()).toContain(reason);
    }
  });

  it('tolerates small clock skew', async () => {
    const token = await issuer.sign({
      sub: 'a',
      aud: RESOURCE,
      scope: 'mcp:use',
      exp: Math.floor(Date.now() / 1000) - 5,
    });
    expect((await post(token)).status).toBe(200);
  });

  it('answers a token without the required scope with 403 insufficient_scope', async () => {
    const token = await issuer.sign({ sub: 'a', aud: RESOURCE, scope: 'other' });
    const res = await post(token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="mcp:use"');
    expect(res.headers.get('www-authenticate')).toContain('resource_metadata=');
    expect(await res.text()).toContain('SWY_INSUFFICIENT_SCOPE');
  });
});

describe('JWT bearer tokens (static keys)', () => {
  it('verifies against configured JWKs without fetching anything', async () => {
    const issuer = await startIssuer();
    const gw = await startGateway({
      auth: {
        required: true,
        jwt: { issuer: issuer.issuer, audience: 'switchyard-test', keys: [issuer.publicJwk] },
      },
      upstreams: [],
    });
    try {
      const token = await issuer.sign({ sub: 'svc', aud: 'switchyard-test' });
      const res = await fetch(gw.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify(INIT),
      });
      expect(res.status).toBe(200);
      expect(issuer.fetches).toBe(0);
    } finally {
      await gw.stop();
      await issuer.stop();
    }
  });
});
