/**
 * `skills:` policy rules are enforced: on an A2A SendMessage that names a skill in its metadata
 * (both bindings), and on a bridged agent's skill tools over MCP. Skills narrow what the agent
 * and tool rules allow, for the principals that skill rules speak of.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import { apiKeysFor, connect, startGateway, type TestGateway } from '../support/gateway.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const POLICIES = [
  {
    name: 'travellers',
    effect: 'allow',
    principals: ['alice', 'bob'],
    agents: ['travel'],
    tools: ['travel.*'],
  },
  { name: 'alice-books-only', effect: 'allow', principals: ['alice'], skills: ['book-flight'] },
];

describe('skills: policy rules', () => {
  let agent: A2aAgentFixture;
  let gw: TestGateway;
  let base: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    agent = await startA2aAgent();
    gw = await startGateway({
      auth: { required: true },
      policies: POLICIES as never,
      upstreams: [{ name: 'travel', a2a: { url: agent.url } }],
    });
    base = gw.url.replace(/\/mcp$/, '');
    ({ alice, bob } = (await apiKeysFor(gw, 'alice', 'bob')) as { alice: string; bob: string });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await agent?.stop();
  });

  const send = async (key: string, metadata?: Json, binding: 'jsonrpc' | 'rest' = 'jsonrpc') => {
    const message = {
      messageId: randomUUID(),
      role: 'ROLE_USER',
      parts: [{ text: 'echo hi' }],
      ...(metadata ? { metadata } : {}),
    };
    const res = await fetch(
      binding === 'rest' ? `${base}/a2a/travel/rest/message:send` : `${base}/a2a/travel`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', authorization: `Bearer ${key}` },
        body: JSON.stringify(
          binding === 'rest'
            ? { message }
            : { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } },
        ),
      },
    );
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('an A2A message naming a skill the rules do not allow is refused (both bindings)', async () => {
    for (const binding of ['jsonrpc', 'rest'] as const) {
      const refused = await send(alice, { skill: 'find hotel' }, binding);
      expect(refused.status).toBe(403);
      expect(JSON.stringify(refused.body)).toContain('SWY_POLICY_DENIED');
      expect((await send(alice, { skillId: 'find hotel' }, binding)).status).toBe(403);
      expect((await send(alice, { skill: 'book-flight' }, binding)).status).toBe(200);
    }
    // A message that names no skill is decided by the agent rule alone.
    expect((await send(alice)).status).toBe(200);
    // Bob: no rule speaks of his skills, so they are not restricted.
    expect((await send(bob, { skill: 'find hotel' })).status).toBe(200);
  });

  it("a bridged agent's skill tool obeys the skill rules over MCP", async () => {
    const mcp = async (key: string) =>
      (await connect(gw.url, {}, 'c', { authorization: `Bearer ${key}` })).client;
    const alices = await mcp(alice);
    await expect(
      alices.callTool({ name: 'travel.find_hotel', arguments: { message: 'echo rooms' } }),
    ).rejects.toThrow(/alice may not use skill find hotel/);
    const booked = await alices.callTool({ name: 'travel.book-flight', arguments: { message: 'echo LHR' } });
    expect(JSON.stringify(booked.content)).toContain('LHR');
    await alices.close();
    const bobs = await mcp(bob);
    const rooms = await bobs.callTool({ name: 'travel.find_hotel', arguments: { message: 'echo rooms' } });
    expect(JSON.stringify(rooms.content)).toContain('rooms');
    await bobs.close();
  });
});
