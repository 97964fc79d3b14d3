/**
 * A2A load loops for the benchmark: JSON-RPC `SendMessage` (v1.0) posted with undici over
 * keep-alive connections, the answer checked (a completed task echoing the text). The same client
 * for every target; every loop bounded by a count or a deadline.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';

const TEXT = 'hello, switchyard';

export class A2aJsonRpcClient {
  constructor(url, { connections = 1 } = {}) {
    const u = new URL(url);
    this.path = u.pathname;
    this.pool = new Pool(u.origin, { connections, pipelining: 1 });
    this.seq = 0;
  }

  async send() {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: ++this.seq,
      method: 'SendMessage',
      params: { message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: TEXT }] } },
    });
    const res = await this.pool.request({
      path: this.path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
      body,
    });
    const json = await res.body.json();
    const task = json.result?.task;
    const echoed = task?.artifacts?.[0]?.parts?.[0]?.text;
    if (task?.status?.state !== 'TASK_STATE_COMPLETED' || echoed !== TEXT)
      throw new Error(`unexpected SendMessage answer: ${JSON.stringify(json).slice(0, 200)}`);
  }

  close() {
    return this.pool.close();
  }
}

/** Sequential latency of the targets, in alternating blocks. */
export async function a2aLatency(targets, { warmup, calls, block }) {
  const runs = targets.map((t) => ({
    name: t.name,
    client: new A2aJsonRpcClient(t.url),
    samples: [],
    errors: 0,
  }));
  try {
    for (const r of runs) for (let i = 0; i < warmup; i++) await r.client.send();
    for (let b = 0; b < Math.ceil(calls / block); b++) {
      for (const r of b % 2 === 0 ? runs : [...runs].reverse()) {
        for (let i = 0; i < block && r.samples.length + r.errors < calls; i++) {
          const t0 = performance.now();
          try {
            await r.client.send();
            r.samples.push(performance.now() - t0);
          } catch (err) {
            r.errors++;
            r.firstError ??= err.message;
          }
        }
      }
    }
  } finally {
    await Promise.all(runs.map((r) => r.client.close()));
  }
  return Object.fromEntries(runs.map((r) => [r.name, r]));
}

/**
 * Throughput with `concurrency` calls in flight, targets in alternating fixed windows. Also the
 * load generator's own CPU per call (this process, during each target's windows): on a machine
 * whose cores it shares with the agent and the gateway, it is part of what a call costs.
 */
export async function a2aThroughput(targets, { concurrency, durationMs, rounds }) {
  const out = Object.fromEntries(targets.map((t) => [t.name, { calls: 0, ms: 0, errors: 0, cpuUs: 0 }]));
  for (let round = 0; round < rounds; round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
      const client = new A2aJsonRpcClient(t.url, { connections: concurrency });
      const deadline = performance.now() + durationMs;
      const t0 = performance.now();
      const o = out[t.name];
      const cpu0 = process.cpuUsage();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < deadline) {
            try {
              await client.send();
              o.calls++;
            } catch (err) {
              o.errors++;
              o.firstError ??= err.message;
            }
          }
        }),
      );
      o.ms += performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      o.cpuUs += cpu.user + cpu.system;
      await client.close();
    }
  }
  for (const o of Object.values(out)) {
    o.callsPerSec = (o.calls / o.ms) * 1000;
    o.clientCpuPerCallUs = o.cpuUs / o.calls;
  }
  return out;
}
