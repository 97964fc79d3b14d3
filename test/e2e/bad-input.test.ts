/**
 * Bad input at the MCP endpoint: each gets the specified status and JSON-RPC error, and the
 * gateway keeps serving everything else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { stdioFixture } from '../support/fixtures.js';

const JSON_AND_SSE = 'application/json, text/event-stream';

describe('bad input on /mcp', () => {
  let gw: TestGateway;
  let session: string;

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(gw.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: JSON_AND_SSE,
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' } : {}),
        ...headers,
      },
      body,
    });
  const call = async (method: string, params?: unknown, id: number | string = 1) => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }));
    return {
      status: res.status,
      body: (await res.json()) as {
        id: unknown;
        error?: { code: number; message: string; data?: { code?: string } };
        result?: unknown;
      },
    };
  };

  beforeAll(async () => {
    gw = await startGateway({
      server: { maxBodyBytes: 64 * 1024 },
      upstreams: [{ name: 'local', mcp: stdioFixture() }],
    });
    const init = await post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    );
    expect(init.status).toBe(200);
    session = init.headers.get('mcp-session-id')!;
    expect(session).toBeTruthy();
    await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('malformed JSON → 400 with -32700', async () => {
    const res = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });

  it('not a JSON-RPC message → 400 with -32600, keeping the id when there is one', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '1.0', id: 7, method: 'ping' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id: 7, error: { code: -32600 } });
  });

  it('unknown method → -32601', async () => {
    const { body } = await call('tools/explode');
    expect(body.error).toMatchObject({ code: -32601, message: 'Method not found: tools/explode' });
  });

  it('invalid params → -32602 with the reason', async () => {
    const { body } = await call('tools/call', { arguments: {} });
    expect(body.error).toMatchObject({ code: -32602, message: 'Invalid params: name must be a string' });
    const cursor = await call('tools/list', { cursor: 'not-a-cursor' });
    expect(cursor.body.error).toMatchObject({ code: -32602, message: 'Invalid params: invalid cursor' });
  });

  it('unknown tool or prompt → a clear -32602 error', async () => {
    expect((await call('tools/call', { name: 'ghost', arguments: {} })).body.error).toMatchObject({
      code: -32602,
      message: 'Unknown tool: ghost',
      data: { code: 'SWY_TOOL_NOT_FOUND' },
    });
    expect((await call('prompts/get', { name: 'ghost' })).body.error).toMatchObject({
      code: -32602,
      message: 'Unknown prompt: ghost',
    });
  });

  it('oversize body → 413', async () => {
    const res = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(70_000) } }),
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { data: { code: 'SWY_BODY_TOO_LARGE' } } });
  });

  it('foreign Origin or Host → 403', async () => {
    expect((await post('{}', { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('{}', { origin: 'http://localhost:3000' })).status).not.toBe(403);
    // fetch cannot forge Host; a raw request can
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(gw.url);
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: '/mcp',
          method: 'POST',
          headers: { host: 'rebind.example:80', 'content-type': 'application/json', accept: JSON_AND_SSE },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it('a path with a broken percent-escape → 400 on every route, never a 500', async () => {
    const origin = gw.url.replace(/\/mcp$/, '');
    for (const path of [
      '/a2a/%E0%A4%A',
      '/a2a/fixture%ZZ/rest/tasks/x',
      '/admin/keys/%',
      '/admin/upstreams/%C0',
    ]) {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const res = await fetch(`${origin}${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
        expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 400`);
        expect(await res.text()).toContain('SWY_BAD_PATH');
      }
    }
    expect((await call('ping')).status).toBe(200);
  });

  it('missing session → 400, unknown session → 404', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const missing = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: JSON_AND_SSE },
      body,
    });
    expect(missing.status).toBe(400);
    const unknown = await post(body, { 'mcp-session-id': 'no-such-session' });
    expect(unknown.status).toBe(404);
  });

  it('unsupported protocol version header → 400', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), {
      'mcp-protocol-version': '1999-01-01',
    });
    expect(res.status).toBe(400);
  });

  it('wrong Accept → 406, wrong Content-Type → 415, wrong method → 405', async () => {
    expect((await post('{}', { accept: 'text/html' })).status).toBe(406);
    expect((await post('{}', { 'content-type': 'text/plain' })).status).toBe(415);
    const put = await fetch(gw.url, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, DELETE');
  });

  it('JSON-RPC batches are refused on 2025-06-18+ sessions', async () => {
    const res = await post(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'ping' }]));
    expect(res.status).toBe(400);
  });

  it('initialize on an existing session is refused; ping still works afterwards', async () => {
    const res = await call('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'x', version: '1' },
    });
    expect(res.status).toBe(400);
    const ping = await call('ping', undefined, 'after');
    expect(ping).toEqual({ status: 200, body: { jsonrpc: '2.0', id: 'after', result: {} } });
    const health = await fetch(gw.url.replace('/mcp', '/healthz'));
    expect(health.status).toBe(200);
  });

  it('an initialize with invalid params → -32602 and no session', async () => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: JSON_AND_SSE },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 5 } }),
    });
    expect(res.headers.get('mcp-session-id')).toBeNull();
    expect(await res.json()).toMatchObject({ error: { code: -32602 } });
  });
});
