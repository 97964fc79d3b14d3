import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { exchange, HIGH_WATER, type AnswerSink } from './relay-exchange.js';

let server: Server | undefined;
let pool: Pool | undefined;

afterEach(async () => {
  await pool?.destroy();
  const s = server;
  if (s) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  server = pool = undefined;
});

/** A server whose handler writes the answer; resolves with a pool to it. */
async function serve(handler: (res: ServerResponse) => void): Promise<Pool> {
  server = createServer((req, res) => {
    req.resume();
    handler(res);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return pool;
}

const post = { path: '/', method: 'POST' as const, body: '{}' };

describe('relay exchange', () => {
  it('gives the sink the answer in order, and waits for a step that returns a promise', async () => {
    const dispatcher = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one|');
      setImmediate(() => res.end('two|three'));
    });
    const seen: string[] = [];
    let release!: () => void;
    const sink: AnswerSink = {
      start: (status, headers) => void seen.push(`start ${status} ${String(headers['content-type'])}`),
      data: (chunk) => {
        seen.push(`data ${chunk.toString()}`);
        if (seen.length === 2) {
          // The first chunk holds the rest back until this settles.
          setTimeout(() => (seen.push('released'), release()), 20);
          return new Promise<void>((r) => (release = r));
        }
      },
      end: () => void seen.push('end'),
    };
    await exchange(dispatcher, post, sink);
    // Nothing reached the sink between the first chunk and its step settling.
    expect(seen[0]).toBe('start 200 text/plain');
    expect(seen[1]).toMatch(/^data one\|/);
    expect(seen[2]).toBe('released');
    expect(seen.at(-1)).toBe('end');
    const data = seen.filter((s) => s.startsWith('data ')).map((s) => s.slice(5));
    expect(data.join('')).toBe('one|two|three');
  });

  it('takes a long answer that arrives at once in small chunks, each step waiting', async () => {
    // 40,000 chunks of 50 bytes (2 MB) written in one go. Pausing the parser for every waiting
    // step would copy what the connection holds at each resume: quadratic, far past the timeout.
    const piece = 'x'.repeat(48) + '\r\n';
    const dispatcher = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.cork();
      for (let i = 0; i < 40_000; i++) res.write(piece);
      res.end();
    });
    let bytes = 0;
    await exchange(dispatcher, post, {
      start: () => {},
      data: (chunk) => {
        bytes += chunk.length;
        return Promise.resolve();
      },
      end: () => {},
    });
    expect(bytes).toBe(40_000 * piece.length);
  });

  it('holds what arrives while a step waits, past HIGH_WATER too, and loses or repeats none of it', async () => {
    const body = Buffer.alloc(HIGH_WATER * 16);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const dispatcher = await serve((res) => {
      res.writeHead(200);
      for (let at = 0; at < body.length; at += 1000) res.write(body.subarray(at, at + 1000));
      res.end();
    });
    const got: Buffer[] = [];
    let release!: () => void;
    await exchange(dispatcher, post, {
      start: () => {},
      data: (chunk) => {
        got.push(chunk);
        // The first chunk waits until the rest has had time to arrive.
        if (got.length === 1) {
          setTimeout(() => release(), 50);
          return new Promise<void>((r) => (release = r));
        }
      },
      end: () => {},
    });
    expect(Buffer.concat(got).equals(body)).toBe(true);
  });

  it('waits for an end that returns a promise before it resolves', async () => {
    const dispatcher = await serve((res) => res.end('whole'));
    let recorded = false;
    await exchange(dispatcher, post, {
      start: () => {},
      data: () => {},
      end: () => new Promise<void>((r) => setTimeout(() => ((recorded = true), r()), 10)),
    });
    expect(recorded).toBe(true);
  });

  it('a step that throws aborts the exchange with its error; later chunks are not given', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((r) => (closed = r));
    const dispatcher = await serve((res) => {
      res.writeHead(200);
      res.write('first');
      res.on('close', closed);
      // Never ends by itself: only the gateway's abort closes it.
      setTimeout(() => res.write('second'), 20);
    });
    const chunks: string[] = [];
    const tooMuch = new Error('too much');
    const done = exchange(dispatcher, post, {
      start: () => {},
      data: (chunk) => {
        chunks.push(chunk.toString());
        throw tooMuch;
      },
      end: () => {},
    });
    await expect(done).rejects.toBe(tooMuch);
    await connectionClosed;
    expect(chunks).toEqual(['first']);
  });

  it('a step whose promise rejects aborts the exchange with that error', async () => {
    const dispatcher = await serve((res) => res.end('x'));
    const refused = new Error('not recorded');
    await expect(
      exchange(dispatcher, post, { start: () => {}, data: () => Promise.reject(refused), end: () => {} }),
    ).rejects.toBe(refused);
  });

  it('an agent that cannot be reached rejects', async () => {
    const dispatcher = await serve((res) => res.end());
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
    await expect(
      exchange(dispatcher, post, { start: () => {}, data: () => {}, end: () => {} }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
