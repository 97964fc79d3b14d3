/**
 * Growth a client (or an upstream) controls: metric labels, sessions per principal, upstream
 * response sizes and SSE streams of clients that stop reading. Each is bounded, and the gateway
 * keeps serving everyone else.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { RawSession } from '../support/raw-mcp.js';

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
