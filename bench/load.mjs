/**
 * The load loops: sequential latency and fixed-duration throughput, plus percentile helpers.
 * Every loop is bounded by a call count or a deadline, and every call's answer is checked.
 */
import { McpHttpClient } from './client.mjs';

const TEXT = 'hello, switchyard';

/** One checked `echo` call; throws if the answer is wrong. */
async function echo(session) {
  const result = await session.callTool('echo', { text: TEXT });
  if (result?.content?.[0]?.text !== TEXT)
    throw new Error(`unexpected echo result: ${JSON.stringify(result)}`);
}

/**
 * Sequential latency of several targets, one call at a time, in alternating blocks
 * (A B, B A, A B, …) so that background noise on a shared machine hits every target alike.
 *
 * @param {{ name: string, url: string }[]} targets
 * @returns {Promise<Record<string, { samples: number[], errors: number, firstError?: string }>>}
 */
export async function sequentialLatency(targets, { warmup, calls, block }) {
  const runs = [];
  for (const t of targets) {
    const client = new McpHttpClient(t.url, { connections: 1 });
    runs.push({ name: t.name, client, session: await client.openSession(), samples: [], errors: 0 });
  }
  try {
    for (const r of runs) for (let i = 0; i < warmup; i++) await echo(r.session);
    const blocks = Math.ceil(calls / block);
    for (let b = 0; b < blocks; b++) {
      const order = b % 2 === 0 ? runs : [...runs].reverse();
      for (const r of order) {
        for (let i = 0; i < block && r.samples.length + r.errors < calls; i++) {
          const t0 = performance.now();
          try {
            await echo(r.session);
            r.samples.push(performance.now() - t0);
          } catch (err) {
            r.errors++;
            r.firstError ??= String(err?.message ?? err);
          }
        }
      }
    }
  } finally {
    await Promise.all(runs.map((r) => r.client.close()));
  }
  return Object.fromEntries(
    runs.map((r) => [r.name, { samples: r.samples, errors: r.errors, firstError: r.firstError }]),
  );
}

/**
 * Closed-loop throughput of several targets under the same load: on each, `sessions` MCP sessions
 * with `perSession` loops each (sessions × perSession calls in flight). After `warmupMs` of load on
 * every target, the measured time (`durationMs` per target) is split into `rounds` windows run in
 * alternating order (A B, B A, …), so that drift in background load on a shared machine hits every
 * target alike. Each window starts with `rampMs` of uncounted load; calls completing inside the
 * window count, and loops stop starting calls at its end.
 *
 * @param {{ name: string, url: string }[]} targets
 */
export async function compareThroughput(
  targets,
  { sessions, perSession, warmupMs, durationMs, rounds, rampMs },
) {
  const runs = [];
  try {
    for (const t of targets) {
      const client = new McpHttpClient(t.url, { connections: sessions * perSession, headers: t.headers });
      const run = {
        name: t.name,
        completed: 0,
        client,
        sessions: [],
        samples: [],
        perRound: [],
        errors: 0,
        firstError: undefined,
      };
      runs.push(run);
      for (let i = 0; i < sessions; i++) run.sessions.push(await client.openSession());
    }
    for (const r of runs) await window(r, 0, warmupMs, perSession, false);
    const windowMs = durationMs / rounds;
    for (let round = 0; round < rounds; round++) {
      for (const r of round % 2 === 0 ? runs : [...runs].reverse()) {
        const counted = await window(r, rampMs, windowMs, perSession, true);
        r.perRound.push(counted / (windowMs / 1000));
      }
    }
  } finally {
    await Promise.all(runs.map((r) => r.client.close()));
  }
  return Object.fromEntries(
    runs.map((r) => [
      r.name,
      {
        callsPerSec: r.samples.length / (durationMs / 1000),
        calls: r.samples.length,
        completed: r.completed, // all answered calls, warm-up and ramps included
        perRound: r.perRound,
        errors: r.errors,
        firstError: r.firstError,
        latency: summarize(r.samples),
      },
    ]),
  );
}

/** Load on one target for rampMs + windowMs; returns how many calls completed in the window. */
async function window(run, rampMs, windowMs, perSession, record) {
  const from = performance.now() + rampMs;
  const until = from + windowMs;
  let counted = 0;
  const loop = async (session) => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= until) return;
      let ok = true;
      try {
        await echo(session);
      } catch (err) {
        ok = false;
        run.errors++;
        run.firstError ??= String(err?.message ?? err);
      }
      const t1 = performance.now();
      if (ok) run.completed++;
      if (ok && record && t1 >= from && t1 <= until) {
        counted++;
        run.samples.push(t1 - t0);
      }
    }
  };
  await Promise.all(run.sessions.flatMap((s) => Array.from({ length: perSession }, () => loop(s))));
  return counted;
}

/** Open `count` sessions (initialize + initialized), `concurrency` at a time, and leave them idle. */
export async function openIdleSessions(url, { count, concurrency }) {
  const client = new McpHttpClient(url, { connections: concurrency });
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      await client.openSession();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - started;
  await client.close(); // the sessions live on the server; only the sockets go
  return { ms };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples) {
  const s = Float64Array.from(samples).sort();
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : NaN,
    mean,
  };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
