/**
 * Streams and sessions on the wire: JSON vs SSE answers, the standalone GET stream, resuming a
 * dropped stream with Last-Event-ID, DELETE, and sessions that outlive a gateway restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { stdioFixture } from '../support/fixtures.js';
import { messages, RawSession, readEvents } from '../support/raw-mcp.js';
import { describeEachStore } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

describe('streams', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ upstreams: [{ name: 'local', mcp: stdioFixture('local') }] });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  /** How many calls of local.slow the gateway has answered so far (its request metric). */
  const slowAnswered = async () => {
    const text = await (await fetch(gw.url.replace(/\/mcp$/, '/metrics'))).text();
    const m = /^switchyard_mcp_requests_total\{[^}]*tool="local\.slow"[^}]*outcome="ok"[^}]*\} (\d+)$/m.exec(
      text,
    );
    return m ? Number(m[1]) : 0;
  };

  it('answers a plain call with JSON and switches to SSE when progress comes first', async () => {
    const s = await RawSession.open(gw.url);
    const plain = await s.post({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'local.whoami', arguments: {} },
    });
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toMatchObject({ id: 1, result: { content: [{ text: 'local' }] } });

    const streamed = await s.post({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'local.slow', arguments: { ms: 90, steps: 3 }, _meta: { progressToken: 'mine' } },
    });
    expect(streamed.headers.get('content-type')).toBe('text/event-stream');
    const events = await readEvents(streamed);
    expect(events[0]).toMatchObject({ data: '' }); // priming event: a cursor before any message
    expect(events[0]!.id).toMatch(/_0$/);
    const msgs = messages(events);
    expect(msgs.map((m) => (m.method as string) ?? 'result')).toEqual([
      'notifications/progress',
      'notifications/progress',
      'notifications/progress',
      'result',
    ]);
    expect(msgs[0]).toMatchObject({ params: { progressToken: 'mine', progress: 1, total: 3 } });
    expect(msgs[3]).toMatchObject({ id: 2, result: { content: [{ text: 'slept 90' }] } });
  });

  it('resumes a dropped response stream from Last-Event-ID without losing the answer', async () => {
    const s = await RawSession.open(gw.url);
    const answered = await slowAnswered();
    const ac = new AbortController();
    const res = await s.post(
      {
        jsonrpc: '2.0',
        id: 'r1',
        method: 'tools/call',
        params: { name: 'local.slow', arguments: { ms: 600, steps: 3 }, _meta: { progressToken: 1 } },
      },
      ac.signal,
    );
    // Read the priming event and the first progress, then drop the connection.
    const first = await readEvents(res, (_e, all) => all.filter((x) => x.data).length >= 1);
    const lastId = first.at(-1)!.id!;
    ac.abort();
    // The call finishes while nobody is connected.
    await waitFor(async () => (await slowAnswered()) > answered, { what: 'the gateway answered local.slow' });
    const resumed = await s.get(lastId);
    expect(resumed.status).toBe(200);
    const rest = messages(await readEvents(resumed));
    expect(rest.map((m) => (m.method as string) ?? 'result')).toEqual([
      'notifications/progress',
      'notifications/progress',
      'result',
    ]);
    expect(rest.at(-1)).toMatchObject({ id: 'r1', result: { content: [{ text: 'slept 600' }] } });
  });

  it('refuses a Last-Event-ID from another session or that never existed', async () => {
    const a = await RawSession.open(gw.url);
    const b = await RawSession.open(gw.url);
    const res = await a.post({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'local.slow', arguments: { ms: 30, steps: 1 }, _meta: { progressToken: 1 } },
    });
    const events = await readEvents(res);
    expect((await b.get(events.at(-1)!.id!)).status).toBe(404);
    expect((await a.get('nonsense')).status).toBe(404);
  });

  it('delivers list_changed on the standalone GET stream, and DELETE ends the session', async () => {
    const s = await RawSession.open(gw.url);
    const ac = new AbortController();
    const stream = await s.get(undefined, ac.signal);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const reading = readEvents(stream, (e) => e.data.includes('list_changed'));
    await s.post({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'local.add-tool', arguments: {} },
    });
    const got = messages(await reading);
    expect(got.at(-1)).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    ac.abort();

    const del = await fetch(gw.url, { method: 'DELETE', headers: s.headers() });
    expect(del.status).toBe(200);
    const after = await s.post({ jsonrpc: '2.0', id: 2, method: 'ping' });
    expect(after.status).toBe(404);
  });

  it('always streams with responseMode: sse', async () => {
    const sse = await startGateway({
      server: { responseMode: 'sse' },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
    try {
      const s = await RawSession.open(sse.url);
      const res = await s.post({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'local.whoami', arguments: {} },
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      expect(messages(await readEvents(res))).toEqual([
        { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'local' }] } },
      ]);
    } finally {
      await sse.stop();
    }
  });

  it('paginates merged lists with its own cursor', async () => {
    const small = await startGateway({
      server: { pageSize: 2 },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
    try {
      const { client } = await connect(small.url);
      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await client.listTools(cursor ? { cursor } : {});
        expect(page.tools.length).toBeLessThanOrEqual(2);
        names.push(...page.tools.map((t) => t.name));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBeGreaterThan(3);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain('local.echo');
      await client.close();
    } finally {
      await small.stop();
    }
  });
});

describeEachStore('sessions across a restart', (target) => {
  afterAll(async () => {
    await target().cleanup();
  });

  it('keeps a session usable after the gateway restarts on the same store', async () => {
    const store = await target().freshUrl();
    const first = await startGateway({ store, upstreams: [{ name: 'local', mcp: stdioFixture('local') }] });
    const port = Number(new URL(first.url).port);
    const { client, transport } = await connect(first.url);
    const sessionId = transport.sessionId;
    await client.setLoggingLevel('warning');
    await first.stop();

    const second = await startGateway({
      store,
      server: { port },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
    try {
      const r = await client.callTool({ name: 'local.whoami', arguments: {} });
      expect(r.content).toEqual([{ type: 'text', text: 'local' }]);
      expect(transport.sessionId).toBe(sessionId);
      const restored = second.gateway.core.sessions.live(sessionId!);
      expect(restored?.logLevel).toBe('warning');
      expect(restored?.clientInfo).toMatchObject({ name: 'test-client' });
      await client.close();
    } finally {
      await second.stop();
    }
  });
});
