/**
 * Fuzz: 100,000 generated JSON-RPC messages (valid, mutated, truncated; seeded) at /mcp and
 * another 100,000 at the stdio front, through the real gateway with a real upstream. Nothing may
 * crash, no answer may be an internal error, and the gateway must still answer afterwards.
 */
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStdio } from '../../src/mcp/front/stdio.js';
import { stdioFixture } from '../support/fixtures.js';
import { fuzzText, gen } from '../support/fuzz.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const MESSAGES = 100_000;
const LEAK = /SWY_INTERNAL|Internal error|\.ts:\d+|at [A-Za-z]+ \(/;

describe('fuzz', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({
      server: { maxJsonDepth: 64 },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
    });
  });
  afterAll(() => gw?.stop());

  it(`survives ${MESSAGES} generated messages on /mcp`, { timeout: 300_000 }, async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    // Protocol 2025-03-26 still has JSON-RPC batches, so well-formed messages can travel 50 at a time.
    const init = await fetch(gw.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-03-26',
          capabilities: {},
          clientInfo: { name: 'fuzz', version: '1' },
        },
      }),
    });
    const session = init.headers.get('mcp-session-id')!;
    const sessionHeaders = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-03-26' };

    const g = gen(20261127);
    const bodies: string[] = [];
    let batch: string[] = [];
    const kinds = { valid: 0, mutated: 0, truncated: 0 };
    for (let i = 0; i < MESSAGES; i++) {
      const { text, kind } = fuzzText(g);
      kinds[kind]++;
      if (kind === 'valid') {
        batch.push(text);
        if (batch.length === 50) bodies.push(`[${batch.splice(0).join(',')}]`);
      } else bodies.push(text);
    }
    if (batch.length) bodies.push(`[${batch.join(',')}]`);
    batch = [];

    const statuses = new Map<number, number>();
    const leaks: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(gw.url, { method: 'POST', headers: sessionHeaders, body });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500 || LEAK.test(text))
          leaks.push(`${res.status} ${body.slice(0, 200)} → ${text.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(leaks).toEqual([]);
    expect(kinds.valid + kinds.mutated + kinds.truncated).toBe(MESSAGES);
    expect(kinds.mutated).toBeGreaterThan(10_000);
    expect(kinds.truncated).toBeGreaterThan(5_000);
    // The generator reaches the interesting paths: answers, refusals of bad envelopes, parse errors.
    expect(statuses.get(200)).toBeGreaterThan(100);
    expect(statuses.get(400)).toBeGreaterThan(10_000);

    const ping = await fetch(gw.url, {
      method: 'POST',
      headers: sessionHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'ping' }),
    });
    expect(await ping.json()).toEqual({ jsonrpc: '2.0', id: 'after', result: {} });
  });

  it(`survives ${MESSAGES} generated messages on the stdio front`, { timeout: 300_000 }, async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const front = await serveStdio(gw.gateway.core, stdin, stdout);
    const leaks: string[] = [];
    let answers = 0;
    let parseErrors = 0;
    let resolveFinal!: () => void;
    const final = new Promise<void>((r) => (resolveFinal = r));
    const lines = createInterface({ input: stdout });
    lines.on('line', (line) => {
      answers++;
      if (LEAK.test(line)) leaks.push(line.slice(0, 300));
      if (line.includes('SWY_PARSE_ERROR')) parseErrors++;
      if (line.includes('"id":"final"')) resolveFinal();
    });
    const write = async (text: string) => {
      if (!stdin.write(`${text}\n`)) await new Promise((r) => stdin.once('drain', r));
    };
    await write(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'fuzz', version: '1' },
        },
      }),
    );
    const g = gen(7);
    for (let i = 0; i < MESSAGES; i++) {
      await write(fuzzText(g).text);
      // Let answers drain now and then, so the test holds a bounded amount in memory.
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await write(JSON.stringify({ jsonrpc: '2.0', id: 'final', method: 'ping' }));
    await final;
    expect(leaks).toEqual([]);
    expect(answers).toBeGreaterThan(MESSAGES / 2);
    expect(parseErrors).toBeGreaterThan(5_000);
    stdin.end();
    await front.close();
  });
});
