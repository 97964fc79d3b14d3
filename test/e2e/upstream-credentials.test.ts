/**
 * The gateway's own credentials towards HTTP upstreams: headers from secret files, OAuth client
 * credentials (refreshed before expiry) and RFC 8693 token exchange, against a local token endpoint.
 * The upstream reports the Authorization header it received (fixture tool `authorization`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpFixture, type HttpFixture } from '../support/fixtures.js';
import { connect, startGateway } from '../support/gateway.js';
import { startTokenServer, type TokenServer } from '../support/token-server.js';
import { waitFor } from '../support/wait.js';

const seen = async (client: Client, tool: string) =>
  ((await client.callTool({ name: tool, arguments: {} })).content as { text: string }[])[0]!.text;

describe('upstream credentials', () => {
  let remote: HttpFixture;
  let tokens: TokenServer;
  const dir = mkdtempSync(join(tmpdir(), 'swy-creds-'));
  beforeAll(async () => {
    remote = await startHttpFixture('remote');
    tokens = await startTokenServer({
      clientId: 'switchyard',
      clientSecret: 's3cret-client',
      expiresIn: 1,
      subjectToken: 'gateway-identity',
    });
  });
  afterAll(async () => {
    await remote?.stop();
    await tokens?.stop();
  });

  it('reads header values from secret files', async () => {
    const file = join(dir, 'docs-auth');
    writeFileSync(file, 'Bearer from-a-file\n');
    const gw = await startGateway({
      upstreams: [{ name: 'files', mcp: { url: remote.url, headerFiles: { Authorization: file } } }],
    });
    const { client } = await connect(gw.url);
    expect(await seen(client, 'files.authorization')).toBe('Bearer from-a-file');
    await client.close();
    await gw.stop();
  });

  it('obtains a token with client credentials and refreshes it before it expires', async () => {
    const secretFile = join(dir, 'client-secret');
    writeFileSync(secretFile, 's3cret-client');
    const gw = await startGateway({
      upstreams: [
        {
          name: 'cc',
          mcp: {
            url: remote.url,
            headers: { Authorization: 'Bearer static-one-is-replaced' },
            oauth: {
              grant: 'client_credentials',
              tokenUrl: tokens.url,
              clientId: 'switchyard',
              clientSecretFile: secretFile,
              scope: 'mcp',
              resource: remote.url,
            },
          },
        },
      ],
    });
    const { client } = await connect(gw.url);
    const first = await seen(client, 'cc.authorization');
    expect(first).toMatch(/^Bearer cc-\d+$/);
    // expires_in is 1 s: a new token is fetched in the background and used from then on.
    await waitFor(async () => (await seen(client, 'cc.authorization')) !== first, {
      what: 'a refreshed token',
    });
    expect(tokens.requests.find((r) => r.grant_type === 'client_credentials')).toMatchObject({
      scope: 'mcp',
      resource: remote.url,
    });
    await client.close();
    await gw.stop();
  });

  it('exchanges its own token (RFC 8693)', async () => {
    const gw = await startGateway({
      upstreams: [
        {
          name: 'ex',
          mcp: {
            url: remote.url,
            oauth: {
              grant: 'token_exchange',
              tokenUrl: tokens.url,
              clientId: 'switchyard',
              clientSecret: 's3cret-client',
              subjectToken: 'gateway-identity',
              audience: 'docs',
            },
          },
        },
      ],
    });
    const { client } = await connect(gw.url);
    expect(await seen(client, 'ex.authorization')).toMatch(/^Bearer exchanged-\d+$/);
    expect(tokens.requests.find((r) => r.grant_type?.endsWith('token-exchange'))).toMatchObject({
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'docs',
    });
    await client.close();
    await gw.stop();
  });

  it('reports a refused credential without revealing the secret', async () => {
    const gw = await startGateway({
      upstreams: [
        {
          name: 'bad',
          mcp: {
            url: remote.url,
            oauth: {
              grant: 'client_credentials',
              tokenUrl: tokens.url,
              clientId: 'switchyard',
              clientSecret: 'wr0ng-secret',
            },
          },
          restart: { initialDelayMs: 60_000 },
        },
      ],
    });
    const status = gw.gateway.core.status().find((u) => u.name === 'bad')!;
    expect(status.error).toMatch(/token endpoint 127\.0\.0\.1:\d+ answered 401 \(invalid_client\)/);
    const readyz = await (await fetch(gw.url.replace('/mcp', '/readyz'))).text();
    expect(readyz).not.toContain('wr0ng-secret');
    await gw.stop();
  });
});
