import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFront, type FrontHarness } from '../../../test/support/http-front.js';
import { messages, readEvents } from '../../../test/support/raw-mcp.js';
import { waitFor } from '../../../test/support/wait.js';

const BOTH = 'application/json, text/event-stream';

describe('HttpFront POST: JSON or SSE', () => {
  let front: FrontHarness;
  let sid: string;

  beforeEach(async () => {
    front = await startFront();
    sid = await front.initialize('2025-11-25');
  });
  afterEach(async () => {
    await front.stop();
  });

  const post = (body: unknown, accept: string | undefined = BOTH, session: string | undefined = sid) =>
    fetch(front.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(accept === undefined ? {} : { accept }),
        ...(session ? { 'mcp-session-id': session } : {}),
      },
      body: JSON.stringify(body),
    });
  const ping = (id: number | string = 1) => ({ jsonrpc: '2.0', id, method: 'echo' });

  it('needs both application/json and text/event-stream accepted (or */*)', async () => {
    for (const accept of ['application/json', 'text/event-stream', 'text/html']) {
      const res = await post(ping(), accept);
      expect(res.status, `Accept: ${accept}`).toBe(406);
      expect(await res.json()).toMatchObject({ error: { data: { code: 'SWY_NOT_ACCEPTABLE' } } });
    }
    for (const accept of [
      BOTH,
      'text/event-stream, application/json',
      '*/*',
      'application/json;q=0.9, text/event-stream;q=1',
    ]) {
      const res = await post(ping(), accept);
      expect(res.status, `Accept: ${accept}`).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      await res.body?.cancel();
    }
  });

  it('matches media types in Accept without regard to case (RFC 9110 §8.3.1)', async () => {
    const res = await post(ping(), 'Application/JSON, Text/Event-Stream');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 1, result: { method: 'echo' } });
  });

  it('opens the standalone stream on GET only for a client that accepts text/event-stream', async () => {
    const get = (accept: string) =>
      fetch(front.url, { headers: { accept, 'mcp-session-id': sid } }).then(async (res) => {
        await res.body?.cancel();
        return [res.status, res.headers.get('content-type')];
      });
    expect(await get('application/json')).toEqual([406, 'application/json']);
    expect(await get('text/event-stream')).toEqual([200, 'text/event-stream']);
    expect(await get('Text/Event-Stream')).toEqual([200, 'text/event-stream']);
  });

  it('answers a request that produces nothing else with plain JSON under its id', async () => {
    const res = await post({ jsonrpc: '2.0', id: 'a', method: 'echo', params: { x: 1 } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('mcp-session-id')).toBe(sid);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: 'a',
      result: { method: 'echo', params: { x: 1 } },
    });
  });

  it('turns the response into an SSE stream when something comes before the answer', async () => {
    const res = await post({ jsonrpc: '2.0', id: 2, method: 'progress' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = await readEvents(res);
    expect(events[0]).toMatchObject({ data: '' }); // the priming event (2025-11-25)
    expect(messages(events)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } },
      { jsonrpc: '2.0', id: 2, result: { method: 'progress', params: null } },
    ]);
  });

  it('answers a POST of notifications and client responses only with 202 and no body', async () => {
    const res = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    const answer = await post({ jsonrpc: '2.0', id: 'swy-c1', result: { roots: [] } });
    expect(answer.status).toBe(202);
    expect(front.received).toEqual([
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'swy-c1', result: { roots: [] } },
    ]);
  });

  it('refuses a request without a session, and one for a session that does not exist', async () => {
    expect((await post(ping(), BOTH, '')).status).toBe(400);
    expect((await post(ping(), BOTH, 'no-such-session')).status).toBe(404);
  });

  it('refuses a batch in protocol 2025-06-18 and later (batching was removed)', async () => {
    const res = await post([ping(1), ping(2)]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { message: expect.stringContaining('batches are not supported in protocol 2025-11-25') },
    });
  });
});

describe('HttpFront POST: batches (protocol 2025-03-26)', () => {
  let front: FrontHarness;
  let sid: string;

  beforeEach(async () => {
    front = await startFront();
    sid = await front.initialize('2025-03-26');
  });
  afterEach(async () => {
    await front.stop();
  });

  const post = (body: unknown) =>
    fetch(front.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: BOTH, 'mcp-session-id': sid },
      body: JSON.stringify(body),
    });

  it('answers every request of a batch in one JSON array; its notifications are delivered', async () => {
    const res = await post([
      { jsonrpc: '2.0', id: 1, method: 'echo' },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      { jsonrpc: '2.0', id: 2, method: 'echo' },
    ]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { id: number }[];
    expect(body.map((a) => a.id).sort()).toEqual([1, 2]);
    expect(front.received).toEqual([{ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }]);
  });

  it('answers a batch of one request with an array of one answer', async () => {
    const res = await post([{ jsonrpc: '2.0', id: 1, method: 'echo' }]);
    expect(await res.json()).toEqual([{ jsonrpc: '2.0', id: 1, result: { method: 'echo', params: null } }]);
  });

  it('answers a batch of notifications only with 202', async () => {
    const res = await post([
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
    ]);
    expect(res.status).toBe(202);
    expect(front.received).toHaveLength(2);
  });

  it('streams a batch once one request needs to send something first, answers already given included', async () => {
    // Headers go out with the first thing that must be sent: until then the response waits.
    const pending = post([
      { jsonrpc: '2.0', id: 1, method: 'echo' },
      { jsonrpc: '2.0', id: 2, method: 'hold' },
    ]);
    await waitFor(() => front.held.has(2), { what: 'the held request reached the pipeline' });
    const held = front.held.get(2)!;
    held.related({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 't', progress: 1 },
    });
    held.respond({ jsonrpc: '2.0', id: 2, result: { late: true } });
    const res = await pending;
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const got = messages(await readEvents(res));
    expect(got).toEqual([
      { jsonrpc: '2.0', id: 1, result: { method: 'echo', params: null } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } },
      { jsonrpc: '2.0', id: 2, result: { late: true } },
    ]);
  });

  it('refuses a whole batch with an invalid message in it, naming its id', async () => {
    const res = await post([
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 9, method: 42 },
    ]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id: 9, error: { data: { code: 'SWY_INVALID_REQUEST' } } });
    expect(front.received).toEqual([]);
  });

  it('refuses initialize inside a batch', async () => {
    const res = await post([
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26' } },
      { jsonrpc: '2.0', id: 2, method: 'echo' },
    ]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { message: expect.stringContaining('initialize must be sent alone') },
    });
  });

  it('refuses an empty batch', async () => {
    const res = await post([]);
    expect(res.status).toBe(400);
  });
});
