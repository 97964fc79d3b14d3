/**
 * What an upstream sends outside any call — roots and sampling requests, log messages — arrives on
 * a connection every client shares. It reaches only sessions whose principal policy lets use that
 * upstream: never another principal's, even the most recently active one with the capability and a
 * log level; with no such session the upstream is answered SWY_NO_CLIENT. The fixture sends these
 * on SIGUSR2, so no call is in flight unless a test starts one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createKey } from '../../src/policy/keys.js';
import { stdioFixture } from '../support/fixtures.js';
import { adminFetch, startGateway, type TestGateway } from '../support/gateway.js';
import { messages, RawSession, readEvents } from '../support/raw-mcp.js';
import { describeEachStore } from '../support/stores.js';

/** alice (group x-users) may use upstream x; bob may use only y. */
const POLICIES = [
  { name: 'x-users', effect: 'allow', principals: ['group:x-users'], upstreams: ['x'] },
  { name: 'bob-y', effect: 'allow', principals: ['bob'], upstreams: ['y'] },
];
const UNSOLICITED_LOG = 'x/fixture: unsolicited log from x';
const NO_CLIENT = { code: -32601, data: { code: 'SWY_NO_CLIENT' } };

interface Peer {
  client: Client;
  transport: StreamableHTTPClientTransport;
  sessionId: string;
  /** The server-to-client requests this client was sent, by method. */
  asked: string[];
  /** Log messages received, as `logger: data`. */
  logs: string[];
  listChanged: number;
}

/**
 * An SDK client as one principal. A capable one declares roots and sampling (answering with its
 * own name) and asks for every log level.
 */
async function peer(url: string, key: string, name: string, capable = true): Promise<Peer> {
  const client = new Client(
    { name, version: '1' },
    { capabilities: capable ? { roots: {}, sampling: {} } : {} },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  const p: Peer = { client, transport, sessionId: '', asked: [], logs: [], listChanged: 0 };
  if (capable) {
    client.setRequestHandler(ListRootsRequestSchema, () => {
      p.asked.push('roots/list');
      return { roots: [{ uri: `file:///${name}` }] };
    });
    client.setRequestHandler(CreateMessageRequestSchema, () => {
      p.asked.push('sampling/createMessage');
      return { role: 'assistant', model: name, content: { type: 'text', text: `${name} answers` } };
    });
  }
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    p.logs.push(`${n.params.logger}: ${String(n.params.data)}`);
  });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    p.listChanged++;
  });
  await client.connect(transport);
  p.sessionId = transport.sessionId!;
  if (capable) await client.setLoggingLevel('debug');
  return p;
}

async function text(c: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = await c.callTool({ name, arguments: args });
  return (r.content as { text: string }[])[0]!.text;
}

/** How the fixture's SIGUSR2 requests were answered so far. */
async function answers(c: Client, upstream = 'x'): Promise<Record<string, unknown>[]> {
  return JSON.parse(await text(c, `${upstream}.unsolicited`)) as Record<string, unknown>[];
}

describe('what an upstream sends outside a call', () => {
  let gw: TestGateway;
  let alice: Peer;
  let bob: Peer;
  let aliceKey: string;
  let pid: number;

  /**
   * A tools/list_changed that bob causes on y reaches every session's standalone stream; once
   * `p` has it, everything the gateway wrote to p's stream before it has arrived too.
   */
  async function barrier(...peers: Peer[]): Promise<void> {
    const before = peers.map((p) => p.listChanged);
    await bob.client.callTool({ name: 'y.add-tool', arguments: {} });
    for (const [i, p] of peers.entries())
      await expect.poll(() => p.listChanged, { timeout: 10_000 }).toBeGreaterThan(before[i]!);
  }

  beforeAll(async () => {
    gw = await startGateway({
      auth: { required: true },
      policies: POLICIES as never,
      listChangedDebounceMs: 10,
      upstreams: [
        { name: 'x', mcp: stdioFixture('x') },
        { name: 'y', mcp: stdioFixture('y') },
      ],
    });
    const keys = gw.gateway.core.store.apiKeys;
    aliceKey = (await createKey(keys, { principal: 'alice', groups: ['x-users'] })).key;
    const bobKey = (await createKey(keys, { principal: 'bob' })).key;
    alice = await peer(gw.url, aliceKey, 'alice');
    pid = Number(await text(alice.client, 'x.pid'));
    // bob connects last: the most recently active session, capable, logging at every level.
    bob = await peer(gw.url, bobKey, 'bob');
    expect(await text(bob.client, 'x.pid').catch((e: Error) => e.message)).toMatch(/bob may not use/);
  });
  afterAll(async () => {
    await alice?.client.close();
    await bob?.client.close();
    await gw?.stop();
  });

  it('goes to a principal who may use the upstream, never to one who may not (even the most recent)', async () => {
    await barrier(alice, bob); // both standalone streams are open
    const live = (p: Peer) => gw.gateway.core.sessions.live(p.sessionId)!;
    expect(live(bob).lastSeen).toBeGreaterThan(live(alice).lastSeen);

    process.kill(pid, 'SIGUSR2');
    await expect
      .poll(() => alice.asked, { timeout: 10_000 })
      .toEqual(['roots/list', 'sampling/createMessage']);
    await expect.poll(() => alice.logs, { timeout: 10_000 }).toContain(UNSOLICITED_LOG);
    await expect
      .poll(() => answers(alice.client), { timeout: 10_000 })
      .toMatchObject([
        { method: 'roots/list', result: { roots: [{ uri: 'file:///alice' }] } },
        { method: 'sampling/createMessage', result: { model: 'alice', content: { text: 'alice answers' } } },
      ]);

    await barrier(bob);
    expect(bob.asked).toEqual([]);
    expect(bob.logs.filter((l) => l.startsWith('x/'))).toEqual([]);
  });

  it('skips a caller with a call in flight once policy no longer lets it use the upstream', async () => {
    const rule = { name: 'bob-x-for-now', effect: 'allow', principals: ['bob'], upstreams: ['x'] };
    expect((await adminFetch(gw, '/policies', { method: 'POST', body: JSON.stringify(rule) })).status).toBe(
      201,
    );
    const ac = new AbortController();
    const hanging = bob.client
      .callTool({ name: 'x.hang', arguments: {} }, undefined, { signal: ac.signal })
      .catch(() => 'cancelled');
    const upstreamX = () => gw.gateway.core.status().find((u) => u.name === 'x')!;
    await expect.poll(() => upstreamX().inFlight, { timeout: 10_000 }).toBe(1);
    expect((await adminFetch(gw, '/policies/bob-x-for-now', { method: 'DELETE' })).status).toBeLessThan(300);

    const asked = alice.asked.length;
    const logs = alice.logs.length;
    process.kill(pid, 'SIGUSR2');
    await expect
      .poll(() => alice.asked.slice(asked), { timeout: 10_000 })
      .toEqual(['roots/list', 'sampling/createMessage']);
    await expect.poll(() => alice.logs.slice(logs), { timeout: 10_000 }).toContain(UNSOLICITED_LOG);
    ac.abort();
    expect(await hanging).toBe('cancelled');
    await barrier(bob);
    expect(bob.asked).toEqual([]);
    expect(bob.logs.filter((l) => l.startsWith('x/'))).toEqual([]);
  });

  it('answers SWY_NO_CLIENT when only a principal who may not use the upstream is connected', async () => {
    const before = (await answers(alice.client)).length;
    await alice.transport.terminateSession();
    await alice.client.close();
    await barrier(bob); // bob's standalone stream is open
    expect([...gw.gateway.core.sessions.values()].map((s) => s.principal)).toEqual(['bob']);

    process.kill(pid, 'SIGUSR2');
    // Read by a new session of alice's that declares nothing: it can answer none of them.
    const observer = await peer(gw.url, aliceKey, 'observer', false);
    try {
      await expect
        .poll(async () => (await answers(observer.client)).slice(before), { timeout: 10_000 })
        .toMatchObject([
          { method: 'roots/list', error: NO_CLIENT },
          { method: 'sampling/createMessage', error: NO_CLIENT },
        ]);
    } finally {
      await observer.client.close();
    }
    await barrier(bob);
    expect(bob.asked).toEqual([]);
    expect(bob.logs.filter((l) => l.startsWith('x/'))).toEqual([]);
  });
});

describeEachStore(
  'what an upstream sends outside a call, to a session restored after a restart',
  (target) => {
    afterAll(async () => {
      await target().cleanup();
    });

    it('reaches the restored session with the groups of its next authenticated request', async () => {
      const store = await target().freshUrl();
      const config = {
        store,
        auth: { required: true },
        policies: POLICIES as never,
        upstreams: [{ name: 'x', mcp: stdioFixture('x') }],
      };
      const first = await startGateway(config);
      const port = Number(new URL(first.url).port);
      const key = (
        await createKey(first.gateway.core.store.apiKeys, { principal: 'alice', groups: ['x-users'] })
      ).key;
      const auth = { authorization: `Bearer ${key}` };
      const raw = await RawSession.open(first.url, '2025-11-25', { roots: {} }, auth);
      await first.stop();

      const second = await startGateway({ ...config, server: { port } });
      const observer = await peer(second.url, key, 'observer', false);
      const ac = new AbortController();
      try {
        const pid = Number(await text(observer.client, 'x.pid'));
        // The standalone stream is the restored session's first request to this process.
        const stream = await raw.get(undefined, ac.signal);
        expect(stream.status).toBe(200);
        expect(second.gateway.core.sessions.live(raw.id)?.identity?.groups).toEqual(['x-users']);

        process.kill(pid, 'SIGUSR2');
        const events = messages(await readEvents(stream, (e) => e.data.includes('"roots/list"')));
        expect(events).toContainEqual(
          expect.objectContaining({ params: expect.objectContaining({ data: 'unsolicited log from x' }) }),
        );
        const request = events.find((m) => m.method === 'roots/list')!;
        await raw.post({ jsonrpc: '2.0', id: request.id, result: { roots: [{ uri: 'file:///restored' }] } });
        await expect
          .poll(() => answers(observer.client), { timeout: 10_000 })
          .toMatchObject([
            { method: 'roots/list', result: { roots: [{ uri: 'file:///restored' }] } },
            // It declared roots only; nobody else who may use x can sample.
            { method: 'sampling/createMessage', error: NO_CLIENT },
          ]);
      } finally {
        ac.abort();
        await observer.client.close();
        await second.stop();
      }
    });
  },
);
