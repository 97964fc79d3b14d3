/**
 * Identity, policy and the audit ledger on the A2A front: every A2A operation is authenticated
 * like an MCP request, agents are allowed per principal, bridged tool calls obey tool policy,
 * tasks are private to the principal that created them, and each operation is in the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createKey } from '../../src/policy/keys.js';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import { stdioFixture } from '../support/fixtures.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const POLICIES = [
  {
    name: 'alice',
    effect: 'allow',
    principals: ['alice'],
    agents: ['fixture', 'travel'],
    tools: ['fixture.*'],
  },
  { name: 'alice-no-add', effect: 'deny', principals: ['alice'], tools: ['fixture.add'] },
  { name: 'bob', effect: 'allow', principals: ['bob'], agents: ['fixture'], tools: ['fixture.*'] },
  { name: 'carol', effect: 'allow', principals: ['carol'], agents: ['fixture'] },
];

describe('A2A front: identity, policy and ledger', () => {
  let gw: TestGateway;
  let agent: A2aAgentFixture;
  let base: string;
  let alice: string;
  let bob: string;
  let carol: string;

  beforeAll(async () => {
    agent = await startA2aAgent();
    gw = await startGateway({
      auth: { required: true },
      audit: { flushIntervalMs: 10 },
      policies: POLICIES as never,
      rateLimits: [{ name: 'carol-a2a', principals: ['carol'], rate: 2, per: 'minute' }],
      upstreams: [
        { name: 'fixture', mcp: stdioFixture('fixture') },
        { name: 'travel', a2a: { url: agent.url } },
      ],
    });
    base = gw.url.replace(/\/mcp$/, '');
    const keys = gw.gateway.core.store.apiKeys;
    alice = (await createKey(keys, { principal: 'alice' })).key;
    bob = (await createKey(keys, { principal: 'bob' })).key;
    carol = (await createKey(keys, { principal: 'carol' })).key;
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await agent?.stop();
  });

  const rpc = async (path: string, method: string, params: Json, key?: string) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'A2A-Version': '1.0',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };
  const call = (tool: string, args: Json, key: string) =>
    rpc(
      '/a2a/fixture',
      'SendMessage',
      {
        message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ data: { tool, arguments: args } }] },
      },
      key,
    );

  it('refuses an operation without a credential (401 + WWW-Authenticate); cards stay public', async () => {
    const r = await rpc('/a2a/fixture', 'GetTask', { id: 'x' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(r.body.error.data.code).toBe('SWY_AUTH_REQUIRED');
    const rest = await fetch(`${base}/a2a/fixture/rest/tasks/x`);
    expect(rest.status).toBe(401);
    const card = await fetch(`${base}/a2a/travel/.well-known/agent-card.json`, {
      headers: { 'A2A-Version': '1.0' },
    });
    expect(card.status).toBe(200);
    // The card tells clients to authenticate to the gateway (not to the agent behind it).
    expect(((await card.json()) as Json).securitySchemes).toEqual({
      bearer: {
        httpAuthSecurityScheme: { description: 'A Switchyard API key or access token', scheme: 'Bearer' },
      },
    });
    expect((await fetch(`${base}/a2a`)).status).toBe(401);
  });

  it('allows agents per principal (403 otherwise) and lists only those', async () => {
    expect((await rpc('/a2a/travel', 'GetTask', { id: 'x' }, bob)).status).toBe(403);
    const list = (await (
      await fetch(`${base}/a2a`, { headers: { authorization: `Bearer ${bob}` } })
    ).json()) as {
      agents: { name: string }[];
    };
    expect(list.agents.map((a) => a.name)).toEqual(['fixture']);
    const sent = await rpc(
      '/a2a/travel',
      'SendMessage',
      { message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: 'echo hi' }] } },
      alice,
    );
    expect(sent.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    // The gateway's credential is not passed to the agent.
    expect(agent.lastHeaders().authorization).toBeUndefined();
  });

  it('bridged tool calls obey tool policy; tasks are private to their principal', async () => {
    const ok = await call('fixture.echo', { text: 'mine' }, alice);
    const task = ok.body.result.task as Json;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    const denied = await call('fixture.add', { a: 1, b: 2 }, alice);
    expect(denied.body.result.task.status.state).toBe('TASK_STATE_FAILED');
    expect(JSON.stringify(denied.body.result.task.status.message)).toMatch(
      /alice may not use tool fixture\.add/,
    );
    // Bob cannot see Alice's task.
    expect((await rpc('/a2a/fixture', 'GetTask', { id: task.id }, bob)).body.error?.code).toBe(-32001);
    expect((await rpc('/a2a/fixture', 'GetTask', { id: task.id }, alice)).body.result.id).toBe(task.id);
  });

  it('rate-limits A2A requests per principal: 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const r = await rpc('/a2a/fixture', 'GetTask', { id: 'x' }, carol);
      statuses.push(r.status);
      retryAfter ??= r.headers.get('retry-after');
    }
    // Two requests reach the agent (an unknown task: a JSON-RPC error, HTTP 200); the third is over the limit.
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('records every A2A operation and bridged tool call in the ledger', async () => {
    const entries = await ledgerEntries(gw.gateway);
    const a2a = entries.filter((e) => e.front === 'a2a');
    expect(
      a2a.some((e) => e.principal === 'alice' && e.method === 'SendMessage' && e.target === 'fixture'),
    ).toBe(true);
    expect(a2a.some((e) => e.principal === 'bob' && e.target === 'travel' && e.outcome === 'error')).toBe(
      true,
    );
    expect(
      a2a.some(
        (e) =>
          e.method === 'tools/call' &&
          e.target === 'fixture.add' &&
          (e.decision as Json | undefined)?.effect === 'deny',
      ),
    ).toBe(true);
  });
});
