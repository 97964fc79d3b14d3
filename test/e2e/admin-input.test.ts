/**
 * Admin requests that used to leave the gateway broken after they were accepted: a policy glob
 * that hangs a regex engine, or too long to compile; a key expiry out of a Date's range; an
 * upstream added with `enabled: false`. Each is refused or handled, and everything keeps working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stdioFixture } from '../support/fixtures.js';
import { adminFetch, connect, startGateway, type TestGateway } from '../support/gateway.js';

describe('admin input', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ upstreams: [{ name: 'local', mcp: stdioFixture('local') }] });
  });
  afterAll(() => gw?.stop());

  const post = (path: string, body: unknown) =>
    adminFetch(gw, path, { method: 'POST', body: JSON.stringify(body) });

  it('a glob that would hang a backtracking regex is matched in linear time; a huge one is refused', async () => {
    const slow = `${'*a'.repeat(12)}*c`;
    expect(
      (await post('/policies', { name: 'slow', effect: 'deny', principals: ['*'], tools: [slow] })).status,
    ).toBe(201);
    await post('/policies', { name: 'all', effect: 'allow', principals: ['*'] });
    const { client } = await connect(gw.url);
    // A 60-character tool name against that glob took minutes with a regex.
    const name = `local.${'a'.repeat(60)}`;
    await expect(client.callTool({ name, arguments: {} })).rejects.toThrow(/Unknown tool/);
    expect((await client.callTool({ name: 'local.whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'local' },
    ]);
    await client.close();
    const huge = await post('/policies', {
      name: 'huge',
      effect: 'allow',
      principals: ['*'],
      tools: ['x'.repeat(100_000)],
    });
    expect(huge.status).toBe(400);
    expect(((await huge.json()) as { error: { message: string } }).error.message).toContain('tools[0]');
  });

  it('a key expiry out of range is refused, and the key list keeps working', async () => {
    const bad = await post('/keys', { principal: 'alice', expiresAt: 1e308 });
    expect(bad.status).toBe(400);
    expect((await adminFetch(gw, '/keys')).status).toBe(200);
  });

  it('an upstream added with enabled: false is kept but not started', async () => {
    const r = await post('/upstreams', {
      name: 'off',
      enabled: false,
      mcp: { url: 'http://127.0.0.1:9/mcp' },
    });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ name: 'off', state: 'disabled' });
    expect(gw.gateway.core.status().map((u) => u.name)).not.toContain('off');
  });
});
