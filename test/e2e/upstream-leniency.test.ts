/**
 * Strict in what the gateway sends, lenient in what it accepts: a server that declares lists it
 * does not serve, pages wrongly, talks before its handshake or writes to stderr is taken as the
 * SDK client takes it. The upstream stays ready, what was tolerated is shown in /readyz and
 * `switchyard tools`, and a list that failed is read again when the server announces a change.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { PromptListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { stdioFixture, stdioListsFixture } from '../support/fixtures.js';
import { adminFetch, connect, startGateway, type TestGateway } from '../support/gateway.js';
import { LISTS, REDEFINE, SERVE_ALL } from '../support/lists-server.js';
import { configFile, runCli } from '../support/cli.js';

const ODD = { LISTS_ODD: '1' };

interface Readyz {
  upstreams: { name: string; state: string; tolerated?: string[]; tools: number; resources: number }[];
}

describe('an upstream that serves only part of what it declares', () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({ upstreams: [{ name: 'odd', mcp: stdioListsFixture(ODD) }] });
    ({ client } = await connect(gw.url));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
  });

  const readyz = async () => (await (await fetch(gw.url.replace(/\/mcp$/, '/readyz'))).json()) as Readyz;
  const own = (uri: string) => uri.startsWith('switchyard://');

  it('is ready with its tools; the lists it does not serve are empty', async () => {
    const odd = (await readyz()).upstreams.find((u) => u.name === 'odd')!;
    expect(odd.state).toBe('ready');
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(
      [...LISTS.tools, REDEFINE, SERVE_ALL].map((t) => `odd.${t.name}`).sort(),
    );
    expect((await client.listPrompts()).prompts).toEqual([]);
    expect(
      (await client.listResourceTemplates()).resourceTemplates.filter((t) => !own(t.uriTemplate)),
    ).toEqual([]);
    // Paged wrongly (the last page again under the same cursor): each resource once.
    expect(
      (await client.listResources()).resources
        .map((r) => r.uri)
        .filter((u) => !own(u))
        .sort(),
    ).toEqual(LISTS.resources.map((r) => r.uri).sort());
    expect((await client.callTool({ name: 'odd.alpha', arguments: {} })).content).toEqual([
      { type: 'text', text: 'called alpha' },
    ]);
  });

  it('says what it tolerated in /readyz', async () => {
    const odd = (await readyz()).upstreams.find((u) => u.name === 'odd')!;
    expect(odd.tolerated).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^prompts\/list failed \(.*Method not found.*\): taken as empty$/),
        expect.stringMatching(/^resources\/templates\/list failed \(.*Method not found.*\): taken as empty$/),
        'resources/list returned a cursor it had returned before: stopped there',
        'resources/list listed 1 entry twice: kept the first',
      ]),
    );
    expect(odd.tolerated).toHaveLength(4);
  });

  it('reads a failed list again when the server announces a change', async () => {
    let announced = false;
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => void (announced = true));
    await client.callTool({ name: 'odd.serve-all', arguments: {} });
    await vi.waitFor(() => expect(announced).toBe(true), { timeout: 20_000, interval: 20 });
    expect((await client.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(
      LISTS.prompts.map((p) => `odd.${p.name}`).sort(),
    );
    expect(
      (await client.listResourceTemplates()).resourceTemplates
        .map((t) => t.uriTemplate)
        .filter((u) => !own(u)),
    ).toEqual(LISTS.resourceTemplates.map((t) => t.uriTemplate));
    expect((await readyz()).upstreams.find((u) => u.name === 'odd')!.tolerated).toBeUndefined();
  });
});

describe('`switchyard tools` and a server that serves only part of what it declares', () => {
  it('lists its tools and says what was tolerated', async () => {
    const file = configFile('lenient', { upstreams: [{ name: 'odd', mcp: stdioListsFixture(ODD) }] });
    const json = await runCli(['tools', '--json', '--config', file]);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as {
      tools: { name: string }[];
      unavailable: unknown[];
      tolerated: unknown[];
    };
    expect(out.tools.map((t) => t.name)).toContain('odd.alpha');
    expect(out.unavailable).toEqual([]);
    expect(out.tolerated).toContainEqual({
      upstream: 'odd',
      note: expect.stringMatching(/^prompts\/list failed/),
    });
    const text = await runCli(['tools', '--config', file]);
    expect(text.stdout).toMatch(/^\(upstream odd: resources\/templates\/list failed .*taken as empty\)$/m);
  }, 90_000); // two CLI processes, each starting TypeScript and an upstream
});

describe('the environment of a stdio upstream', () => {
  let gw: TestGateway;
  let client: Client;
  const NAME = 'SWY_TEST_INHERITED';
  const OTHER = 'SWY_TEST_NOT_INHERITED';

  beforeAll(async () => {
    process.env[NAME] = 'from the environment';
    process.env[OTHER] = 'kept back';
    gw = await startGateway({
      upstreams: [{ name: 'local', mcp: { ...stdioFixture('local'), inheritEnv: [NAME, 'SWY_TEST_UNSET'] } }],
    });
    ({ client } = await connect(gw.url));
  });
  afterAll(async () => {
    delete process.env[NAME];
    delete process.env[OTHER];
    await client?.close();
    await gw?.stop();
  });

  const env = async (name: string) =>
    ((await client.callTool({ name: 'local.env', arguments: { name } })).content as { text: string }[])[0]!
      .text;

  it('gets the variables inheritEnv names, and no others', async () => {
    expect(await env(NAME)).toBe('from the environment');
    expect(await env(OTHER)).toBe('(unset)');
    expect(await env('SWY_TEST_UNSET')).toBe('(unset)');
    expect(await env('FIXTURE_NAME')).toBe('local'); // mcp.env
  });

  it('refuses inheritEnv in an upstream added through the admin API', async () => {
    await gw.gateway.stop();
    gw = await startGateway({ admin: { allowStdioUpstreams: true } });
    const res = await adminFetch(gw, '/upstreams', {
      method: 'POST',
      body: JSON.stringify({ name: 'grab', mcp: { ...stdioFixture('grab'), inheritEnv: [NAME] } }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('mcp.inheritEnv: not allowed in upstreams added at runtime');
  });
});
