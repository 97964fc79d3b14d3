import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFetch } from './http-fetch.js';

describe('requestFetch: the configured headers go to allowed origins only', () => {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.url === '/big')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(100_000));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends to an allowed origin with the headers', async () => {
    const f = requestFetch({ Authorization: 'Bearer s3cret' }, new Set([url]));
    const res = await f(`${url}/jsonrpc`, { method: 'POST', body: '{}' });
    expect(await res.text()).toBe('ok');
    expect(seen).toEqual(['Bearer s3cret']);
  });

  it('refuses any other origin (or scheme) without sending anything', async () => {
    seen.length = 0;
    const f = requestFetch({ Authorization: 'Bearer s3cret' }, new Set(['http://127.0.0.1:1']));
    await expect(f(`${url}/jsonrpc`, { method: 'POST', body: '{}' })).rejects.toThrow(
      `refused to send a request to ${url}: it is neither the agent's origin nor in a2a.allowedOrigins`,
    );
    await expect(f('file:///etc/passwd')).rejects.toThrow(/non-http\(s\) URL/);
    expect(seen).toEqual([]);
  });

  it('reads an answer no further than maxResponseBytes, failing with an error that names the agent', async () => {
    const f = requestFetch({}, new Set([url]), { upstream: 'travel', maxResponseBytes: 10_000 });
    const res = await f(`${url}/big`, { method: 'POST', body: '{}' });
    await expect(res.text()).rejects.toMatchObject({
      code: 'SWY_UPSTREAM_RESPONSE_TOO_LARGE',
      message: 'Upstream "travel" sent a message larger than 10000 bytes (POST /big); it was not read',
    });
  });
});
