/**
 * Authorization end to end: rules applied to calls and to every list, whatever name form the
 * client uses, explained by the admin API and the CLI, recorded in the ledger.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createKey } from '../../src/policy/keys.js';
import { runCli } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';

const POLICIES = [
  { name: 'dev', effect: 'allow', principals: ['group:dev'] },
  { name: 'no-echo', effect: 'deny', principals: ['alice'], tools: ['echo'] },
  { name: 'no-static', effect: 'deny', principals: ['*'], resources: ['fixture://static/*'] },
  { name: 'bob-greet', effect: 'allow', principals: ['bob'], prompts: ['local.greet'] },
];

async function connectAs(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'policy-test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: Error) => e.message,
  );

describe('policy', () => {
  let gw: TestGateway;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    gw = await startGateway({
      auth: { required: true },
      admin: { token: 'policy-admin-token-0123' },
      policies: POLICIES as never,
      upstreams: [
        { name: 'local', mcp: stdioFixture('local') },
        { name: 'plain', mcp: stdioFixture('plain'), prefix: 'never' },
      ],
    });
    const keys = gw.gateway.core.store.apiKeys;
    alice = await connectAs(gw.url, (await createKey(keys, { principal: 'alice', groups: ['dev'] })).key);
    bob = await connectAs(gw.url, (await createKey(keys, { principal: 'bob' })).key);
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await gw?.stop();
  });

  it('lists only what the caller may use', async () => {
    const names = (await alice.listTools()).tools.map((t) => t.name);
    expect(names).toContain('local.whoami');
    expect(names).toContain('whoami');
    expect(names).not.toContain('local.echo');
    expect(names).not.toContain('echo');
    const uris = (await alice.listResources()).resources.map((r) => r.uri);
    expect(uris).not.toContain('fixture://static/hello');

    expect(uris).toContain('switchyard://catalog');
    // The gateway's own resources follow policy too.
    expect((await bob.listResources()).resources.map((r) => r.uri)).not.toContain('switchyard://catalog');
    expect(await errorOf(bob.readResource({ uri: 'switchyard://a2a/agents' }))).toContain(
      'Forbidden: bob may not use resource switchyard://a2a/agents',
    );
    expect((await bob.listTools()).tools).toEqual([]);
    expect((await bob.listPrompts()).prompts.map((p) => p.name)).toEqual(['local.greet']);
    expect((await bob.getPrompt({ name: 'local.greet', arguments: { name: 'B' } })).messages).toHaveLength(1);
  });

  it('refuses a denied tool under every name form, and the call never reaches it', async () => {
    for (const name of ['local.echo', 'echo']) {
      expect(await errorOf(alice.callTool({ name, arguments: { text: 'x' } }))).toContain(
        `Forbidden: alice may not use tool ${name}`,
      );
    }
    for (const name of [
      'LOCAL.ECHO',
      'Echo',
      'local_echo',
      'ｌocal.echo',
      'local.echo\u200b',
      'plain.echo',
    ]) {
      expect(await errorOf(alice.callTool({ name, arguments: { text: 'x' } })), name).toContain(
        'Unknown tool',
      );
    }
    expect(await errorOf(bob.callTool({ name: 'local.whoami', arguments: {} }))).toContain(
      'Forbidden: bob may not use tool local.whoami',
    );
    expect(await errorOf(alice.readResource({ uri: 'fixture://static/hello' }))).toContain(
      'may not use resource fixture://static/hello',
    );
    expect(await errorOf(alice.subscribeResource({ uri: 'fixture://static/hello' }))).toContain('Forbidden');
    const ok = await alice.callTool({ name: 'local.whoami', arguments: {} });
    expect(ok.content).toEqual([{ type: 'text', text: 'local' }]);

    const entries = await ledgerEntries(gw.gateway);
    expect(entries.find((e) => e.target === 'echo' && e.principal === 'alice')).toMatchObject({
      outcome: 'error',
      errorCode: 'SWY_POLICY_DENIED',
      decision: { effect: 'deny', rule: 'no-echo' },
    });
    expect(entries.find((e) => e.target === 'local.whoami' && e.principal === 'alice')).toMatchObject({
      outcome: 'ok',
      decision: { effect: 'allow', rule: 'dev' },
    });
    const metrics = await gw.gateway.core.metrics.text();
    expect(metrics).toMatch(/switchyard_policy_denials_total\{kind="tool"\} [1-9]/);
  });

  it('adds and removes rules through the admin API, in force at once', async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(gw.url.replace('/mcp', path), {
        method,
        headers: { authorization: 'Bearer policy-admin-token-0123', 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await alice.callTool({ name: 'local.whoami', arguments: {} })).isError).toBeFalsy();
    const added = await admin('POST', '/admin/policies', {
      name: 'no-whoami',
      effect: 'deny',
      principals: ['alice'],
      tools: ['local.whoami'],
    });
    expect(added.status).toBe(201);
    expect(await errorOf(alice.callTool({ name: 'local.whoami', arguments: {} }))).toContain(
      'Forbidden: alice may not use tool local.whoami',
    );
    expect((await alice.listTools()).tools.map((t) => t.name)).not.toContain('local.whoami');
    // Bad input: a rule without a name, a name taken by the config file, an unknown key.
    expect((await admin('POST', '/admin/policies', { effect: 'deny', principals: ['*'] })).status).toBe(400);
    expect(
      (await admin('POST', '/admin/policies', { name: 'dev', effect: 'deny', principals: ['*'] })).status,
    ).toBe(409);
    expect(
      (await admin('POST', '/admin/policies', { name: 'x', effect: 'deny', principals: ['*'], tool: ['y'] }))
        .status,
    ).toBe(400);
    // A name is one printable line of at most 128 characters: it is shown in logs and the ledger.
    for (const name of ['\r\nX-Injected: 1', 'a\u202egnp.exe', 'x'.repeat(129), '']) {
      const res = await admin('POST', '/admin/policies', { name, effect: 'deny', principals: ['*'] });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(await res.text()).toContain('name: expected 1–128 printable characters');
    }
    const listed = (await (await admin('GET', '/admin/policies')).json()) as { runtime: { name: string }[] };
    expect(listed.runtime.map((p) => p.name)).toEqual(['no-whoami']);
    expect((await admin('DELETE', '/admin/policies/no-whoami')).status).toBe(204);
    expect((await admin('DELETE', '/admin/policies/no-whoami')).status).toBe(404);
    expect((await alice.callTool({ name: 'local.whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'local' },
    ]);
  });

  it('explains a decision over the admin API', async () => {
    const res = await fetch(
      gw.url.replace('/mcp', '/admin/policies/explain?principal=alice&group=dev&tool=local.echo'),
      { headers: { authorization: 'Bearer policy-admin-token-0123' } },
    );
    expect(await res.json()).toMatchObject({
      target: { kind: 'tool', name: 'local.echo', alias: 'echo', upstream: 'local' },
      decision: { effect: 'deny', rule: 'no-echo' },
      matched: ['dev (allow)', 'no-echo (deny)'],
    });
  });
});

describe('policy on resource URIs', () => {
  let gw: TestGateway;
  let carol: Client;
  let dave: Client;
  /** What the client gets: the text read, or the refusal's code and message. */
  const read = (client: Client, uri: string) =>
    client.readResource({ uri }).then(
      (r) => ({ text: (r.contents[0] as { text?: string }).text }),
      (e: McpError) => ({ code: (e.data as { code?: string } | undefined)?.code, message: e.message }),
    );

  beforeAll(async () => {
    gw = await startGateway({
      auth: { required: true },
      policies: [
        { name: 'public-files', effect: 'allow', principals: ['carol'], resources: ['file:///srv/public/*'] },
        { name: 'srv-files', effect: 'allow', principals: ['dave'], resources: ['file:///srv/*'] },
        { name: 'no-secret', effect: 'deny', principals: ['*'], resources: ['file:///srv/secret/*'] },
      ] as never,
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
    const keys = gw.gateway.core.store.apiKeys;
    carol = await connectAs(gw.url, (await createKey(keys, { principal: 'carol' })).key);
    dave = await connectAs(gw.url, (await createKey(keys, { principal: 'dave' })).key);
  });
  afterAll(async () => {
    await carol?.close();
    await dave?.close();
    await gw?.stop();
  });

  it('refuses every spelling of a path that leaves what a rule allows', async () => {
    for (const uri of [
      'file:///srv/public/../../etc/passwd',
      'file:///srv/public/%2e%2e/%2e%2e/etc/passwd',
      'file:///srv/public/..%2f..%2fetc/passwd',
      'file:///srv/public/..%5c..%5cetc%5cpasswd',
      'file:///srv/public/..\\..\\etc\\passwd',
    ]) {
      expect(await read(carol, uri), uri).toEqual({
        code: 'SWY_POLICY_DENIED',
        message: expect.stringContaining(`Forbidden: carol may not use resource ${uri}`),
      });
    }
    const entries = await ledgerEntries(gw.gateway);
    const decided = (target: string) => entries.find((e) => e.target === target)?.decision;
    expect(decided('file:///srv/public/../../etc/passwd')).toEqual({
      effect: 'deny',
      rule: 'default (no rule allows it)',
    });
    expect(decided('file:///srv/public/..%2f..%2fetc/passwd')).toEqual({
      effect: 'deny',
      rule: 'unsafe resource URI',
    });
  });

  it('refuses every spelling of a path a rule denies', async () => {
    for (const uri of [
      'file:///srv/secret/x',
      'file:///srv//secret/x',
      'file:///srv/./secret/x',
      'file:///srv/public/../secret/x',
      'file:///srv/%73ecret/x',
    ]) {
      expect(await read(dave, uri), uri).toMatchObject({ code: 'SWY_POLICY_DENIED' });
    }
    const entries = await ledgerEntries(gw.gateway);
    expect(entries.find((e) => e.target === 'file:///srv//secret/x')?.decision).toEqual({
      effect: 'deny',
      rule: 'no-secret',
    });
  });

  it('allows what the rules allow, and forwards the URI as the client sent it', async () => {
    expect(await read(carol, 'file:///srv/public/readme.txt')).toEqual({
      text: 'file file:///srv/public/readme.txt',
    });
    // Decided on as file:///srv/public/~user/notes; the upstream still gets %7E.
    expect(await read(carol, 'file:///srv/public/%7Euser/notes')).toEqual({
      text: 'file file:///srv/public/%7Euser/notes',
    });
    expect(await read(dave, 'file:///srv/public/docs/../readme.txt')).toEqual({
      text: 'file file:///srv/public/readme.txt',
    });
  });
});

describe('switchyard policy explain', () => {
  it('prints the deciding rule from the config alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-policy-'));
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(
      file,
      stringify({
        store: `sqlite:${join(dir, 'db.sqlite')}`,
        policies: POLICIES,
        upstreams: [{ name: 'local', mcp: { command: 'true' } }],
      }),
    );
    const denied = await runCli([
      'policy',
      'explain',
      '--principal',
      'alice',
      '--group',
      'dev',
      '--tool',
      'local.echo',
      '--config',
      file,
    ]);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toContain('DENY: alice → tool local.echo (upstream local, its name echo)');
    expect(denied.stdout).toContain('deciding rule: no-echo');
    const allowed = await runCli([
      'policy',
      'explain',
      '--principal',
      'bob',
      '--prompt',
      'local.greet',
      '--config',
      file,
    ]);
    expect(allowed.stdout).toContain('ALLOW: bob → prompt local.greet');
    expect(allowed.stdout).toContain('deciding rule: bob-greet');
    const fallback = await runCli([
      'policy',
      'explain',
      '--principal',
      'eve',
      '--tool',
      'local.echo',
      '--config',
      file,
    ]);
    expect(fallback.stdout).toContain('deciding rule: default (no rule allows it)');
  });
});
