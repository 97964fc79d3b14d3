/**
 * Growth a client (or an upstream) controls: metric labels, sessions per principal, upstream
 * response sizes and SSE streams of clients that stop reading. Each is bounded, and the gateway
 * keeps serving everyone else.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createKey } from '../../src/policy/keys.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import { stdioFixture } from '../support/fixtures.js';
import { startHugeServer, type HugeServer } from '../support/huge-http.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { ACCEPT, messages, RawSession, readEvents } from '../support/raw-mcp.js';

/** A gateway whose warnings are kept, to read what it logged. */
async function gatewayWithLog(
  config: Parameters<typeof startGateway>[0],
): Promise<{ gw: TestGateway; log: () => Record<string, unknown>[] }> {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const gw = await startGateway(config, { logger: createLogger('warn', stream) });
  const log = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { gw, log };
}

/** The series of the request metrics in the gateway's registry, and their method labels. */
async function requestSeries(gw: TestGateway): Promise<{ count: number; methods: Set<string> }> {
  const all = await gw.gateway.core.metrics.registry.getMetricsAsJSON();
  const series = new Set<string>();
  const methods = new Set<string>();
  for (const m of all) {
    if (!m.name.startsWith('switchyard_mcp_request')) continue;
    for (const v of m.values) {
      series.add(`${(v as { metricName?: string }).metricName ?? m.name}${JSON.stringify(v.labels)}`);
      methods.add(String(v.labels.method));
    }
  }
  return { count: series.size, methods };
}

describe('metric labels', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({});
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('1,000 made-up method names become one label, "other"; known methods keep theirs', async () => {
    // 2025-03-26 still allows batches: all of them in one POST.
    const s = await RawSession.open(gw.url, '2025-03-26');
    await (await s.post({ jsonrpc: '2.0', id: 'p', method: 'ping' })).json();
    const before = await requestSeries(gw);
    const batch = Array.from({ length: 1_000 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: i % 100 === 0 ? `x/${'long'.repeat(2_000)}${i}` : `x/${randomBytes(8).toString('hex')}`,
    }));
    const answers = (await (await s.post(batch)).json()) as { error?: { code: number } }[];
    expect(answers).toHaveLength(1_000);
    expect(answers.every((a) => a.error?.code === -32601)).toBe(true);
    await (await s.post({ jsonrpc: '2.0', id: 'p2', method: 'tools/list' })).json();

    const after = await requestSeries(gw);
    expect([...after.methods].sort()).toEqual(['initialize', 'other', 'ping', 'tools/list']);
    // A counter series and a histogram (buckets, sum, count) for "other", and the same for
    // tools/list: nothing per made-up name.
    const perMethod = before.count / before.methods.size; // initialize and ping so far
    expect(after.count - before.count).toBe(2 * perMethod);
    expect(await gw.gateway.core.metrics.text()).toContain(
      'switchyard_mcp_requests_total{method="other",upstream="",tool="",outcome="error"} 1000',
    );
  });
});

describe('sessions per principal', () => {
  let gw: TestGateway;
  let log: () => Record<string, unknown>[];
  let team: string;
  let alice: string;

  beforeAll(async () => {
    ({ gw, log } = await gatewayWithLog({
      auth: { required: true },
      server: { maxSessionsPerPrincipal: 3 },
    }));
    team = (await createKey(gw.gateway.core.store.apiKeys, { principal: 'team' })).key;
    alice = (await createKey(gw.gateway.core.store.apiKeys, { principal: 'alice' })).key;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const headers = (key: string, session?: string) => ({
    'content-type': 'application/json',
    accept: ACCEPT,
    authorization: `Bearer ${key}`,
    ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' } : {}),
  });
  /** A real initialize over HTTP; the new session's id. */
  const initialize = async (key: string): Promise<string> => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: headers(key),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
      }),
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    return res.headers.get('mcp-session-id')!;
  };
  /** The HTTP status of a ping in that session. */
  const ping = async (key: string, session: string): Promise<number> => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: headers(key, session),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    await res.body?.cancel();
    return res.status;
  };

  it("a principal's next session closes its least recently used one; other principals are untouched", async () => {
    const [s1, s2, s3] = [await initialize(team), await initialize(team), await initialize(team)];
    const a1 = await initialize(alice);
    expect(await ping(team, s1!)).toBe(200); // s1 is now more recent than s2
    const s4 = await initialize(team);
    expect(await ping(team, s2!)).toBe(404); // the least recently used went
    for (const s of [s1!, s3!, s4]) expect(await ping(team, s)).toBe(200);
    expect(await ping(alice, a1)).toBe(200);
    expect(log()).toContainEqual(
      expect.objectContaining({
        msg: 'too many sessions for one principal: closing its least recently used sessions (warned once a minute)',
        principal: 'team',
        session: s2,
        limit: 3,
      }),
    );

    // A client opening sessions in a loop: the gateway holds three of them, never more.
    for (let i = 0; i < 50; i++) await initialize(team);
    expect(gw.gateway.core.sessions.size).toBe(4); // team's three and alice's one
    expect(await ping(alice, a1)).toBe(200);
    expect(await gw.gateway.core.metrics.text()).toContain('switchyard_mcp_sessions_evicted_total 51');
    // Counted each time, warned once: the loop does not flood the log.
    expect(log().filter((l) => String(l.msg).startsWith('too many sessions'))).toHaveLength(1);
  });
});

describe('SSE streams of clients that stop reading', () => {
  const LIMIT = 64 * 1024;
  let gw: TestGateway;
  let log: () => Record<string, unknown>[];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    ({ gw, log } = await gatewayWithLog({
      server: { maxStreamBufferBytes: LIMIT },
      upstreams: [
        { name: 'a', mcp: stdioFixture('a') },
        { name: 'b', mcp: stdioFixture('b') },
      ],
    }));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await gw?.stop();
  });

  /**
   * POST a request on a raw socket, read up to the priming event (a cursor to resume from), then
   * never read again. Resolves with that event id.
   */
  const stalledPost = (session: RawSession, body: unknown): Promise<string> => {
    const url = new URL(gw.url);
    const payload = JSON.stringify(body);
    const socket = tcpConnect(Number(url.port), url.hostname);
    sockets.push(socket);
    const head = Object.entries({
      ...session.headers(),
      host: url.host,
      'content-length': String(Buffer.byteLength(payload)),
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`POST ${url.pathname} HTTP/1.1\r\n${head}\r\n${payload}`);
    let text = '';
    return new Promise((resolve) => {
      socket.on('data', (d: Buffer) => {
        text += d.toString();
        const primed = /id: (\S+_0)\r?\n/.exec(text);
        if (primed) {
          socket.pause(); // from here on the client reads nothing
          resolve(primed[1]!);
        }
      });
    });
  };

  it('disconnects a client that stops reading; it resumes from the log; a reading client is unaffected', async () => {
    const stalled = await RawSession.open(gw.url);
    // Far more than the socket buffers hold: it must either pile up in the gateway or be dropped.
    const count = 600;
    const size = 10_000;
    const cursor = await stalledPost(stalled, {
      jsonrpc: '2.0',
      id: 'flood',
      method: 'tools/call',
      params: { name: 'a.flood', arguments: { count, size } },
    });

    // Meanwhile a client that reads gets every message of its own flood, and the answer.
    const { client } = await connect(gw.url);
    let received = 0;
    client.setNotificationHandler(LoggingMessageNotificationSchema, () => void received++);
    const answer = await client.callTool({ name: 'b.flood', arguments: { count: 200, size: 1_000 } });
    expect(answer.content).toEqual([{ type: 'text', text: 'sent 200' }]);
    expect(received).toBe(200);
    await client.close();

    const dropped = () =>
      log().find((l) => String(l.msg).startsWith('SSE client stopped reading')) as
        { session: string; buffered: number; limit: number } | undefined;
    await expect.poll(dropped, { timeout: 20_000, interval: 100 }).toBeDefined();
    // What waited when it was dropped: the limit and what one read from the upstream brought,
    // not the flood.
    expect(dropped()).toMatchObject({ session: stalled.id, limit: LIMIT });
    expect(dropped()!.buffered).toBeLessThan(3 * LIMIT);
    expect(await gw.gateway.core.metrics.text()).toContain('switchyard_sse_clients_dropped_total 1');

    // The call was not cancelled: it finishes, and the client, back, resumes from its cursor.
    await expect.poll(() => gw.gateway.core.inFlight(), { timeout: 20_000, interval: 100 }).toBe(0);
    const resumed = await stalled.get(cursor);
    expect(resumed.status).toBe(200);
    const events = messages(await readEvents(resumed, (e) => e.data.includes('"id":"flood"')));
    expect(events.filter((m) => m.method === 'notifications/message')).toHaveLength(count);
    expect(events.at(-1)).toMatchObject({ id: 'flood', result: { content: [{ text: `sent ${count}` }] } });
  });
});

describe('upstream answers larger than maxResponseBytes', () => {
  const LIMIT = 64 * 1024;
  let huge: HugeServer;
  let agent: A2aAgentFixture;
  let bigCard: A2aAgentFixture;
  let gw: TestGateway;
  let log: () => Record<string, unknown>[];
  let client: Awaited<ReturnType<typeof connect>>['client'];

  beforeAll(async () => {
    huge = await startHugeServer();
    agent = await startA2aAgent();
    bigCard = await startA2aAgent({ brokenCard: { name: 'padded', padding: 'p'.repeat(4 * LIMIT) } });
    ({ gw, log } = await gatewayWithLog({
      upstreams: [
        { name: 'huge', mcp: { url: huge.url }, maxResponseBytes: LIMIT },
        { name: 'local', mcp: stdioFixture('local'), maxResponseBytes: LIMIT },
        { name: 'travel', a2a: { url: agent.url }, maxResponseBytes: LIMIT },
        {
          name: 'padded',
          a2a: { url: bigCard.url },
          maxResponseBytes: LIMIT,
          restart: { initialDelayMs: 60_000 },
        },
      ],
    }));
    ({ client } = await connect(gw.url));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    await agent?.stop();
    await bigCard?.stop();
    await new Promise((r) => huge?.server.close(r));
  });

  /** The error a call fails with, as the client sees it. */
  const failure = async (name: string, args: Record<string, unknown> = {}) => {
    const err = (await client.callTool({ name, arguments: args }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: number; message: string; data?: { code?: string; upstream?: string } } | undefined;
    return err && { code: err.code, message: err.message, data: err.data };
  };
  const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

  it('Streamable HTTP: an endless JSON answer fails the call, naming the upstream; reading stops at the limit', async () => {
    expect(await failure('huge.huge-json')).toEqual({
      code: -32011,
      message: expect.stringContaining(
        `Upstream "huge" sent a message larger than ${LIMIT} bytes (tools/call); it was not read`,
      ),
      data: expect.objectContaining({ code: 'SWY_UPSTREAM_RESPONSE_TOO_LARGE', upstream: 'huge' }),
    });
    // The gateway hung up: the server got nowhere near the 64 MiB it would have sent.
    await expect.poll(() => huge.sent.get('huge-json')?.cutOff, { timeout: 10_000 }).toBe(true);
    expect(huge.sent.get('huge-json')!.bytes).toBeLessThan(32 * 1024 * 1024);
    expect(text(await client.callTool({ name: 'huge.hello', arguments: {} }))).toBe('hello');
  });

  it('Streamable HTTP: one endless SSE event fails the call; many small events do not add up', async () => {
    expect(await failure('huge.huge-event')).toMatchObject({
      code: -32011,
      data: { code: 'SWY_UPSTREAM_RESPONSE_TOO_LARGE', upstream: 'huge' },
    });
    await expect.poll(() => huge.sent.get('huge-event')?.cutOff, { timeout: 10_000 }).toBe(true);
    // 200 events of 1 KB each: more than the limit in all, each one far below it.
    let progress = 0;
    const r = await client.callTool({ name: 'huge.many-events', arguments: {} }, undefined, {
      onprogress: () => void progress++,
    });
    expect(text(r)).toBe('all sent');
    expect(progress).toBe(200);
  });

  it('stdio: a line over the limit fails the call it answers; the server keeps running for the others', async () => {
    const pid = text(await client.callTool({ name: 'local.pid', arguments: {} }));
    const [big, small] = await Promise.all([
      failure('local.huge', { size: 4 * LIMIT }),
      client.callTool({ name: 'local.echo', arguments: { text: 'meanwhile' } }),
    ]);
    expect(big).toMatchObject({
      code: -32011,
      message: expect.stringContaining(
        `Upstream "local" sent a message larger than ${LIMIT} bytes (tools/call)`,
      ),
      data: { code: 'SWY_UPSTREAM_RESPONSE_TOO_LARGE', upstream: 'local' },
    });
    expect(text(small)).toBe('echo: meanwhile');
    // A log message over the limit is dropped; the call it came with still answers.
    expect(
      text(await client.callTool({ name: 'local.flood', arguments: { count: 1, size: 2 * LIMIT } })),
    ).toBe('sent 1');
    expect(text(await client.callTool({ name: 'local.pid', arguments: {} }))).toBe(pid);
    expect(log()).toContainEqual(
      expect.objectContaining({
        upstream: 'local',
        msg: 'upstream sent a message larger than maxResponseBytes: skipped',
      }),
    );
  });

  it('A2A: an answer over the limit fails the call, naming the agent; the agent stays usable', async () => {
    expect(await failure('travel.send_message', { message: `big ${4 * LIMIT}` })).toMatchObject({
      code: -32011,
      data: { code: 'SWY_UPSTREAM_RESPONSE_TOO_LARGE', upstream: 'travel' },
    });
    const r = await client.callTool({
      name: 'travel.send_message',
      arguments: { message: 'echo still here' },
    });
    expect(JSON.stringify(r)).toContain('still here');
    // An Agent Card is read no further than the limit either.
    expect(gw.gateway.core.status().find((u) => u.name === 'padded')).toMatchObject({
      state: 'restarting',
      error: expect.stringContaining(`is larger than ${LIMIT} bytes`),
    });
  });
});
