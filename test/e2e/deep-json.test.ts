/**
 * Deeply nested JSON against a real `switchyard serve` process: a 6 KB message nested thousands of
 * levels deep, on every front (MCP, A2A JSON-RPC v1.0 and v0.3, A2A HTTP+JSON, admin), to every
 * kind of agent. Each is refused with the front's own error shape; the process stays up and keeps
 * serving, and nesting under the limit reaches the ledger without harm.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFile, startServe } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';

const TOKEN = 'deep-json-admin-token-0123';

/** `{"a":{"a":…}}`, `levels` deep. */
const nested = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

describe('deeply nested JSON', () => {
  let child: ChildProcess;
  let base: string;
  let stderr: () => string;

  beforeAll(async () => {
    const file = configFile('deep', {
      admin: { token: TOKEN },
      audit: { flushIntervalMs: 10 },
      upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
      a2a: { groups: [{ name: 'tools', tools: ['local.*'] }] },
    });
    const started = await startServe(['--config', file]);
    child = started.child;
    stderr = started.stderr;
    base = started.url.replace(/\/mcp$/, '');
  }, 60_000);
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': '1.0', ...headers },
      body,
    });
    return { status: res.status, text: await res.text() };
  };
  const dataMessage = (data: string) =>
    `{"messageId":"${randomUUID()}","role":"ROLE_USER","parts":[{"data":${data}}]}`;

  it('is refused on every front, in each front’s error shape, and the process keeps serving', async () => {
    const bomb = nested(1000); // 6 KB
    expect(bomb.length).toBeLessThan(6_200);
    const rpc = (method: string, params: string) =>
      `{"jsonrpc":"2.0","id":1,"method":"${method}","params":${params}}`;
    for (const agent of ['local', 'tools']) {
      const v1 = await post(`/a2a/${agent}`, rpc('SendMessage', `{"message":${dataMessage(bomb)}}`));
      expect(v1.status).toBe(400);
      expect(JSON.parse(v1.text)).toMatchObject({
        jsonrpc: '2.0',
        error: { data: { code: 'SWY_TOO_DEEP' } },
      });
      const v03 = await post(
        `/a2a/${agent}`,
        rpc(
          'message/send',
          `{"message":{"kind":"message","messageId":"m","role":"user","parts":[{"kind":"data","data":${bomb}}]}}`,
        ),
        { 'A2A-Version': '0.3' },
      );
      expect(v03.status).toBe(400);
      const rest = await post(`/a2a/${agent}/rest/message:send`, `{"message":${dataMessage(bomb)}}`);
      expect(rest.status).toBe(400);
      expect(JSON.parse(rest.text)).toMatchObject({ error: { status: 'SWY_TOO_DEEP' } });
    }
    const admin = await post('/admin/policies', bomb, { authorization: `Bearer ${TOKEN}` });
    expect(admin.status).toBe(400);
    expect(admin.text).toContain('SWY_TOO_DEEP');
    const mcp = await post('/mcp', rpc('tools/call', `{"name":"local.echo","arguments":${bomb}}`), {
      accept: 'application/json, text/event-stream',
    });
    expect(mcp.status).toBe(400);

    // Still up, and a valid message to each agent works, its arguments nested under the limit
    // (they reach the tool call and the ledger).
    expect(child.exitCode).toBeNull();
    for (const agent of ['local', 'tools']) {
      const args = `{"text":"still here","extra":${nested(40)}}`;
      const ok = await post(
        `/a2a/${agent}`,
        rpc('SendMessage', `{"message":${dataMessage(`{"tool":"local.echo","arguments":${args}}`)}}`),
      );
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('TASK_STATE_');
    }
    expect(child.exitCode).toBeNull();
    expect(stderr()).not.toMatch(/unhandled|RangeError|Maximum call stack/);
  });
});
