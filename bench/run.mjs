#!/usr/bin/env node
/**
 * Switchyard benchmark: what the gateway costs compared with not having it, and compared with a
 * peer proxy, measured in the same run on the same machine (STYLE.md practice 8).
 *
 *   latency     sequential tools/call `echo`, one at a time, in alternating blocks: direct to an HTTP
 *               upstream, through a pass-through Node.js hop (bench/null-proxy.mjs, for scale) and
 *               through Switchyard; p50/p99 of each and the added p50/p99 (Switchyard − direct).
 *   throughput  64 calls in flight (8 sessions × 8 loops), the same three targets in alternating
 *               fixed-time windows: calls/s, the ratio to direct, CPU time per call of each process.
 *   proxy       one stdio server behind mcp-proxy vs behind Switchyard: throughput (same load),
 *               sequential latency and CPU per call; ratio Switchyard/mcp-proxy.
 *   memory      a fresh gateway, then 1,000 idle sessions (initialize + initialized): RSS from
 *               /proc/<pid>/status before and after. mcp-proxy under the same sessions, for reference.
 *   ready       spawn `switchyard serve` (HTTP upstream already up, named in
 *               readiness.requireUpstreams) → first 200 from /readyz, polled every 10 ms; then spawn
 *               with one more upstream that never answers its handshake → first MCP initialize
 *               answered; median of 5 each.
 *   a2a         A2A JSON-RPC SendMessage to an A2A SDK agent (bench/a2a-agent.mjs), direct, through
 *               the null proxy, relayed by Switchyard, and decoded by a second gateway with
 *               `a2a.relay: false`: sequential p50/p99 and throughput with 32 in flight; CPU per
 *               call of each process and of the load generator.
 *   agent       a declared agent's run (2 model turns, 1 tool call) against a deterministic model
 *               (bench/model.mjs): the same steps done directly vs through the gateway; the time
 *               the gateway adds per step, and its own account of model vs other time.
 *
 * The upstream is bench/upstream.mjs (official SDK), the load comes from bench/client.mjs (undici,
 * keep-alive), the same client for every target. Everything listens on 127.0.0.1 and every child
 * process is stopped at the end, also on failure or Ctrl-C. The gateway is the built dist/
 * (`npm run bench` builds first). Prints a table with the targets; writes bench/results/latest.json.
 *
 *   node bench/run.mjs [--only latency,throughput,proxy,memory,ready,a2a,trust,agent] [--profile] [--quick]
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { compareThroughput, median, openIdleSessions, sequentialLatency, summarize } from './load.mjs';
import {
  cpuMsOf,
  freePort,
  killAllNow,
  machineBusy,
  memoryOf,
  spawnNode,
  stop,
  stopAll,
  waitFor200,
  waitForLine,
} from './processes.mjs';
import { topSelfTime } from './profile.mjs';
import { a2aLatency, a2aThroughput } from './a2a.mjs';
import { agentOverhead } from './agent.mjs';
import { McpHttpClient } from './client.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GATEWAY_CLI = join(ROOT, 'dist/switchyard.mjs');
const UPSTREAM = join(ROOT, 'bench/upstream.mjs');
const NULL_PROXY = join(ROOT, 'bench/null-proxy.mjs');
const A2A_AGENT = join(ROOT, 'bench/a2a-agent.mjs');
const MODEL = join(ROOT, 'bench/model.mjs');
const MCP_PROXY = join(ROOT, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs');
const RESULTS = join(ROOT, 'bench/results');

const SECTIONS = ['latency', 'throughput', 'proxy', 'memory', 'ready', 'a2a', 'trust', 'agent'];

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(
    'usage: node bench/run.mjs [--only ' +
      SECTIONS.join(',') +
      '] [--profile] [--quick]\n' +
      '  --only     run these measurements (comma-separated)\n' +
      '  --profile  also CPU-profile the gateway under the throughput load (top 10 self time), and\n' +
      '             with a2a, relaying A2A (bench/results/*.cpuprofile; bench/flamegraph.mjs draws them)\n' +
      '  --quick    shorter runs (a smoke test; numbers are noisier)',
  );
  process.exit(0);
}
const only = opts.only ? opts.only.split(',').map((s) => s.trim()) : SECTIONS;
for (const s of only)
  if (!SECTIONS.includes(s)) fail(`unknown section "${s}" (expected ${SECTIONS.join(', ')})`);

const q = opts.quick ? 0.2 : 1;
const PARAMS = {
  latency: { warmup: Math.round(300 * q), calls: Math.round(2000 * q), block: 100 },
  load: {
    sessions: 8,
    perSession: 8,
    warmupMs: 1000,
    durationMs: Math.round(5000 * q),
    rounds: 5,
    rampMs: 100,
  },
  proxyLatency: { warmup: Math.round(200 * q), calls: Math.round(1000 * q), block: 100 },
  memory: { sessions: 1000, concurrency: 8, settleMs: 1000 },
  ready: { repeats: 5, pollMs: 10 },
  a2aLatency: { warmup: Math.round(200 * q), calls: Math.round(1000 * q), block: 100 },
  a2aLoad: { concurrency: 32, durationMs: Math.round(3000 * q), rounds: 4 },
  agent: { warmup: Math.round(50 * q), runs: Math.round(600 * q), block: 50 },
};

const TARGETS = {
  addedP50: { max: 0.3, text: '≤ 0.3 ms' },
  addedP99: { max: 1, text: '≤ 1 ms' },
  vsDirect: { min: 0.8, text: '≥ 0.8×' },
  vsProxy: { min: 1.5, text: '≥ 1.5×' },
  rss1000: { max: 120, text: '≤ 120 MB' },
  readyMs: { max: 1000, text: '≤ 1000 ms' },
  trustCost: { max: 0.15, text: '≤ 15% cost' },
  a2aAddedP50: { max: 0.5, text: '≤ 0.5 ms' },
  a2aVsDirect: { min: 0.8, text: '≥ 0.8×' },
};

// ---------------------------------------------------------------------------------------------
// Processes under test

let work; // a temp dir for configs and SQLite files, removed at the end
let dbSeq = 0;

function gatewayConfigFile(
  name,
  { port = 0, upstream, extra = [], upstreamExtra = [], server = {}, stuck = false },
) {
  const store = join(work, `${name}-${++dbSeq}.db`);
  const required = upstream === 'stdio' ? 'st' : upstream.startsWith('a2a:') ? 'agent' : 'up';
  const lines = [
    `server: ${JSON.stringify({ host: '127.0.0.1', port, ...server })}`,
    `store: ${JSON.stringify(`sqlite:${store}`)}`,
    'log: { level: warn }',
    'reload: { watch: false }',
    // The gateway serves at once; /readyz waits for the upstream under test, so loads start on it.
    `readiness: { requireUpstreams: [${required}] }`,
    ...extra,
    'upstreams:',
  ];
  if (stuck) {
    // A stdio server that reads its input and never answers its handshake.
    lines.push(
      '  - name: stuck',
      `    mcp: { command: ${JSON.stringify(process.execPath)}, args: ["-e", "process.stdin.resume()"] }`,
      '    startTimeoutMs: 600000',
    );
  }
  if (upstream === 'stdio') {
    lines.push(
      '  - name: st',
      `    mcp: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(UPSTREAM)}, "--stdio"] }`,
      '    prefix: never',
    );
  } else if (upstream.startsWith('a2a:')) {
    lines.push('  - name: agent', `    a2a: { url: ${JSON.stringify(upstream.slice(4))} }`);
  } else {
    lines.push(
      '  - name: up',
      `    mcp: { url: ${JSON.stringify(upstream)} }`,
      '    prefix: never',
      ...upstreamExtra,
    );
  }
  const file = join(work, `${name}-${dbSeq}.yaml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function startUpstream() {
  const child = spawnNode('upstream', [UPSTREAM, '--port', '0']);
  const [, url] = await waitForLine(child, /listening (\S+)/);
  return { child, url };
}

/** `switchyard serve`; resolves once /readyz says 200. */
async function startGateway(name, upstream, { execArgv, server, extra } = {}) {
  const config = gatewayConfigFile(name, { upstream, server, extra });
  const child = spawnNode(`switchyard (${name})`, [GATEWAY_CLI, 'serve', '--config', config], { execArgv });
  const [, url] = await waitForLine(child, /Switchyard MCP endpoint: (\S+)/);
  await waitFor200(new URL('/readyz', url).href, { child });
  return { child, url };
}

/** A pass-through HTTP hop with no MCP logic (bench/null-proxy.mjs): the floor for a Node.js proxy. */
async function startNullProxy(target) {
  const child = spawnNode('null proxy', [NULL_PROXY, '--target', target]);
  const [, url] = await waitForLine(child, /listening (\S+)/);
  return { child, url };
}

/** mcp-proxy (CLI defaults) in front of the stdio upstream, Streamable HTTP only, at /mcp. */
async function startMcpProxy() {
  const port = await freePort();
  const child = spawnNode('mcp-proxy', [
    MCP_PROXY,
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--server',
    'stream',
    '--',
    process.execPath,
    UPSTREAM,
    '--stdio',
  ]);
  await waitFor200(`http://127.0.0.1:${port}/ping`, { child });
  return { child, url: `http://127.0.0.1:${port}/mcp` };
}

// ---------------------------------------------------------------------------------------------
// Measurements

async function measureLatency(results, upstream) {
  const p = PARAMS.latency;
  section(
    'latency',
    `sequential, ${p.calls} calls each after ${p.warmup} warm-up, alternating blocks of ${p.block}`,
  );
  const gw = await startGateway('latency', upstream.url);
  const hop = await startNullProxy(upstream.url);
  try {
    const cpu = cpuMeter({ upstream: upstream.child, nullProxy: hop.child, switchyard: gw.child });
    const r = await sequentialLatency(
      [
        { name: 'direct', url: upstream.url },
        { name: 'nullProxy', url: hop.url },
        { name: 'switchyard', url: gw.url },
      ],
      p,
    );
    const [direct, nullProxy, switchyard] = ['direct', 'nullProxy', 'switchyard'].map((k) =>
      withErrors(summarize(r[k].samples), r[k]),
    );
    results.latency = {
      params: p,
      direct,
      nullProxy,
      switchyard,
      addedP50: switchyard.p50 - direct.p50,
      addedP99: switchyard.p99 - direct.p99,
      hopP50: nullProxy.p50 - direct.p50,
      hopP99: nullProxy.p99 - direct.p99,
      // Every call, whichever way it went, reached the upstream once.
      ...cpuFields(cpu, {
        upstream: 3 * (p.warmup + p.calls),
        nullProxy: p.warmup + p.calls,
        switchyard: p.warmup + p.calls,
      }),
    };
    for (const [name, v] of [
      ['direct', direct],
      ['null proxy', nullProxy],
      ['switchyard', switchyard],
    ]) {
      log(`${name.padEnd(11)} p50 ${ms(v.p50)} ms, p99 ${ms(v.p99)} ms`);
    }
  } finally {
    await Promise.all([stop(gw.child), stop(hop.child)]);
  }
}

async function measureThroughput(results, upstream) {
  const p = PARAMS.load;
  section('throughput', loadText(p));
  const gw = await startGateway('throughput', upstream.url);
  const hop = await startNullProxy(upstream.url);
  try {
    const cpu = cpuMeter({ upstream: upstream.child, nullProxy: hop.child, switchyard: gw.child });
    const { direct, nullProxy, switchyard } = await compareThroughput(
      [
        { name: 'direct', url: upstream.url },
        { name: 'nullProxy', url: hop.url },
        { name: 'switchyard', url: gw.url },
      ],
      p,
    );
    log(`direct      ${rate(direct)}`);
    log(`null proxy  ${rate(nullProxy)}`);
    log(`switchyard  ${rate(switchyard)}`);
    results.throughput = {
      params: p,
      direct,
      nullProxy,
      switchyard,
      ratio: switchyard.callsPerSec / direct.callsPerSec,
      nullProxyRatio: nullProxy.callsPerSec / direct.callsPerSec,
      ...cpuFields(cpu, {
        upstream: direct.completed + nullProxy.completed + switchyard.completed,
        nullProxy: nullProxy.completed,
        switchyard: switchyard.completed,
      }),
    };
  } finally {
    await Promise.all([stop(gw.child), stop(hop.child)]);
  }
}

/**
 * The cost of the trust features: the same gateway with everything off (no auth, no policies, no
 * ledger, no validation, no pinning) and with everything on (API key, policies, ledger, argument
 * and output validation, pinning), under the throughput load.
 */
async function measureTrust(results, upstream) {
  const p = PARAMS.load;
  section('trust', loadText(p));
  const offConfig = gatewayConfigFile('trust-off', {
    upstream: upstream.url,
    extra: ['audit: { enabled: false }', 'validation: { arguments: false, output: false }'],
    upstreamExtra: ['    pinning: off'],
  });
  const onConfig = gatewayConfigFile('trust-on', {
    upstream: upstream.url,
    extra: [
      'auth: { required: true }',
      'policies:',
      '  - { name: bench, effect: allow, principals: [bench], tools: ["*"] }',
      '  - { name: no-delete, effect: deny, principals: ["*"], tools: ["*delete*"] }',
    ],
  });
  // The key comes from the real CLI, into the store the gateway will open.
  const created = execFileSync(
    process.execPath,
    [GATEWAY_CLI, 'keys', 'create', '--principal', 'bench', '--config', onConfig, '--json'],
    { encoding: 'utf8' },
  );
  const key = JSON.parse(created).key;
  const start = async (name, config) => {
    const child = spawnNode(`switchyard (${name})`, [GATEWAY_CLI, 'serve', '--config', config]);
    const [, url] = await waitForLine(child, /Switchyard MCP endpoint: (\S+)/);
    await waitFor200(new URL('/readyz', url).href, { child });
    return { child, url };
  };
  const off = await start('trust off', offConfig);
  const on = await start('trust on', onConfig);
  try {
    const cpu = cpuMeter({ off: off.child, on: on.child });
    const { trustOff, trustOn } = await compareThroughput(
      [
        { name: 'trustOff', url: off.url },
        { name: 'trustOn', url: on.url, headers: { authorization: `Bearer ${key}` } },
      ],
      p,
    );
    log(`trust off   ${rate(trustOff)}`);
    log(`trust on    ${rate(trustOn)}`);
    results.trust = {
      params: p,
      off: trustOff,
      on: trustOn,
      cost: 1 - trustOn.callsPerSec / trustOff.callsPerSec,
      ...cpuFields(cpu, { off: trustOff.completed, on: trustOn.completed }),
    };
  } finally {
    await Promise.all([stop(off.child), stop(on.child)]);
  }
}

async function measureProxy(results) {
  const p = PARAMS.load;
  section('proxy', 'stdio upstream behind mcp-proxy vs behind Switchyard');
  const proxy = await startMcpProxy();
  const gw = await startGateway('proxy', 'stdio');
  try {
    const r = await sequentialLatency(
      [
        { name: 'mcpProxy', url: proxy.url },
        { name: 'switchyard', url: gw.url },
      ],
      PARAMS.proxyLatency,
    );
    const latency = {
      mcpProxy: withErrors(summarize(r.mcpProxy.samples), r.mcpProxy),
      switchyard: withErrors(summarize(r.switchyard.samples), r.switchyard),
    };
    log(`latency p50: mcp-proxy ${ms(latency.mcpProxy.p50)} | switchyard ${ms(latency.switchyard.p50)}`);
    // The proxies' own processes only (their stdio upstream children are not counted).
    const cpu = cpuMeter({ mcpProxy: proxy.child, switchyard: gw.child });
    const { mcpProxy, switchyard } = await compareThroughput(
      [
        { name: 'mcpProxy', url: proxy.url },
        { name: 'switchyard', url: gw.url },
      ],
      p,
    );
    log(`mcp-proxy   ${rate(mcpProxy)}`);
    log(`switchyard  ${rate(switchyard)}`);
    results.proxy = {
      params: { latency: PARAMS.proxyLatency, load: p },
      mcpProxyVersion: packageVersion('mcp-proxy'),
      latency,
      throughput: { mcpProxy, switchyard, ratio: switchyard.callsPerSec / mcpProxy.callsPerSec },
      ...cpuFields(cpu, { mcpProxy: mcpProxy.completed, switchyard: switchyard.completed }),
    };
  } finally {
    await Promise.all([stop(proxy.child), stop(gw.child)]);
  }
}

async function measureMemory(results, upstream) {
  const p = PARAMS.memory;
  section('memory', `${p.sessions} idle sessions, RSS after ${p.settleMs} ms settle`);
  const idle = async (name, start, metrics) => {
    const target = await start();
    try {
      const before = memoryOf(target.child.pid);
      const heapBefore = metrics ? await heapOf(target.url) : undefined;
      const { ms: openMs } = await openIdleSessions(target.url, {
        count: p.sessions,
        concurrency: p.concurrency,
      });
      await sleep(p.settleMs);
      const after = memoryOf(target.child.pid);
      const heapAfter = metrics ? await heapOf(target.url) : undefined;
      const heap =
        heapBefore && heapAfter
          ? `; JS heap used ${mb(heapBefore.heapUsedMB)} → ${mb(heapAfter.heapUsedMB)} of ${mb(heapAfter.heapTotalMB)}`
          : '';
      log(
        `${name.padEnd(11)} RSS ${mb(before.rssMB)} → ${mb(after.rssMB)} (peak ${mb(after.peakMB)}, ` +
          `private anonymous ${mb(before.anonMB)} → ${mb(after.anonMB)})${heap}; ` +
          `sessions opened in ${Math.round(openMs)} ms`,
      );
      return {
        rssBeforeMB: before.rssMB,
        rssAfterMB: after.rssMB,
        peakMB: after.peakMB,
        anonBeforeMB: before.anonMB,
        anonAfterMB: after.anonMB,
        perSessionKB: ((after.rssMB - before.rssMB) * 1024) / p.sessions,
        heapBefore,
        heapAfter,
        openMs,
      };
    } finally {
      await stop(target.child);
    }
  };
  // Every session is the anonymous principal's: hold them all (the per-principal cap is 256).
  const server = { maxSessionsPerPrincipal: p.sessions };
  const switchyard = await idle('switchyard', () => startGateway('memory', upstream.url, { server }), true);
  const mcpProxy = await idle('mcp-proxy', startMcpProxy, false);
  results.memory = { params: p, switchyard, mcpProxy };
}

/**
 * CPU time used by some processes from now on. `perCall` divides it by the calls each one served:
 * total (user + system) and, separately, the system (kernel) part, in µs.
 */
function cpuMeter(children) {
  const start = Object.fromEntries(Object.entries(children).map(([k, c]) => [k, cpuMsOf(c.pid)]));
  return {
    perCall(calls) {
      const total = {};
      const system = {};
      for (const [k, c] of Object.entries(children)) {
        const now = cpuMsOf(c.pid);
        total[k] = ((now.user + now.system - start[k].user - start[k].system) * 1000) / calls[k];
        system[k] = ((now.system - start[k].system) * 1000) / calls[k];
      }
      return { total, system };
    },
  };
}

function cpuFields(meter, calls) {
  const { total, system } = meter.perCall(calls);
  return { cpuPerCallUs: total, cpuSystemPerCallUs: system };
}

/** The gateway's view of its own heap (prom-client default metrics): what part of RSS is JS heap. */
async function heapOf(mcpUrl) {
  try {
    const res = await request(new URL('/metrics', mcpUrl));
    const text = await res.body.text();
    // prom-client's default metrics, under whatever prefix the gateway gives them
    const value = (name) => Number(new RegExp(`^\\w*${name} (\\S+)`, 'm').exec(text)?.[1]) / 2 ** 20;
    const heap = {
      heapUsedMB: value('nodejs_heap_size_used_bytes'),
      heapTotalMB: value('nodejs_heap_size_total_bytes'),
      externalMB: value('nodejs_external_memory_bytes'),
    };
    return Number.isFinite(heap.heapUsedMB) ? heap : undefined;
  } catch {
    return undefined; // metrics disabled or unreachable: RSS alone it is
  }
}

async function measureA2a(results) {
  section('a2a', 'A2A SendMessage: direct to an A2A SDK agent vs through the gateway (relayed, and decoded)');
  const agent = spawnNode('a2a agent', [A2A_AGENT, '--port', '0']);
  const [, agentUrl] = await waitForLine(agent, /listening (\S+)/);
  const gw = await startGateway('a2a', `a2a:${agentUrl}`);
  // For scale: a pass-through Node.js hop with no A2A logic in front of the same agent.
  const nullProxy = await startNullProxy(`${agentUrl}/jsonrpc`);
  // The same gateway with the relay off: every message decoded and encoded again by the A2A SDK.
  const decoding = await startGateway('a2a-decoding', `a2a:${agentUrl}`, {
    extra: ['a2a: { relay: false }'],
  });
  const targets = [
    { name: 'direct', url: `${agentUrl}/jsonrpc` },
    { name: 'nullProxy', url: nullProxy.url },
    { name: 'switchyard', url: `${new URL(gw.url).origin}/a2a/agent` },
    { name: 'decoding', url: `${new URL(decoding.url).origin}/a2a/agent` },
  ];
  try {
    const lat = await a2aLatency(targets, PARAMS.a2aLatency);
    // CPU over the whole load phase: each gateway works only in its own windows; the agent in all.
    const cpu = cpuMeter({
      switchyard: gw.child,
      decoding: decoding.child,
      nullProxy: nullProxy.child,
      agent,
    });
    const load = await a2aThroughput(targets, PARAMS.a2aLoad);
    const cpuUs = cpuFields(cpu, {
      switchyard: load.switchyard.calls,
      decoding: load.decoding.calls,
      nullProxy: load.nullProxy.calls,
      agent: load.direct.calls + load.nullProxy.calls + load.switchyard.calls + load.decoding.calls,
    });
    const [d, n, s, dec] = ['direct', 'nullProxy', 'switchyard', 'decoding'].map((k) =>
      withErrors(summarize(lat[k].samples), lat[k]),
    );
    results.a2a = {
      direct: d,
      nullProxy: n,
      switchyard: s,
      decoding: dec,
      addedP50: s.p50 - d.p50,
      addedP99: s.p99 - d.p99,
      nullProxyAddedP50: n.p50 - d.p50,
      decodingAddedP50: dec.p50 - d.p50,
      throughput: load,
      ratio: load.switchyard.callsPerSec / load.direct.callsPerSec,
      nullProxyRatio: load.nullProxy.callsPerSec / load.direct.callsPerSec,
      decodingRatio: load.decoding.callsPerSec / load.direct.callsPerSec,
      ...cpuUs,
    };
    log(
      `p50 ${ms(d.p50)} direct → ${ms(n.p50)} null proxy, ${ms(s.p50)} relayed, ${ms(dec.p50)} decoded (ms); ` +
        `${int(load.direct.callsPerSec)} → ${int(load.nullProxy.callsPerSec)}, ` +
        `${int(load.switchyard.callsPerSec)}, ${int(load.decoding.callsPerSec)} calls/s`,
    );
    log(
      `CPU per call (µs): agent ${int(cpuUs.cpuPerCallUs.agent)}, null proxy ${int(cpuUs.cpuPerCallUs.nullProxy)}, ` +
        `relayed ${int(cpuUs.cpuPerCallUs.switchyard)}, decoded ${int(cpuUs.cpuPerCallUs.decoding)}; ` +
        `load generator ${int(load.direct.clientCpuPerCallUs)}`,
    );
  } finally {
    await stop(nullProxy.child);
    await stop(gw.child);
    await stop(decoding.child);
    await stop(agent);
  }
}

async function measureAgent(results, upstream) {
  const p = PARAMS.agent;
  section('agent', `${p.runs} agent runs (2 model turns + 1 tool call each), direct vs through the gateway`);
  const model = spawnNode('model', [MODEL, '--port', '0']);
  const [, modelUrl] = await waitForLine(model, /listening (\S+)/);
  const config = gatewayConfigFile('agent', {
    upstream: upstream.url,
    extra: [
      `models: [{ name: bench, openai: { baseUrl: ${JSON.stringify(modelUrl)}, model: bench } }]`,
      'agents: [{ name: bench, model: bench, instructions: bench, tools: [echo] }]',
    ],
  });
  const gw = spawnNode('switchyard (agent)', [GATEWAY_CLI, 'serve', '--config', config]);
  try {
    const [, url] = await waitForLine(gw, /Switchyard MCP endpoint: (\S+)/);
    await waitFor200(new URL('/readyz', url).href, { child: gw });
    const run = await agentOverhead({ modelUrl, upstreamUrl: upstream.url, gatewayUrl: url }, p);
    const d = summarize(run.samples.direct);
    const s = summarize(run.samples.switchyard);
    const own = run.timings.map((t) => t.totalMs - t.modelMs - t.toolMs).sort((a, b) => a - b);
    const tool = run.timings.map((t) => t.toolMs).sort((a, b) => a - b);
    results.agent = {
      direct: d,
      switchyard: s,
      stepsPerRun: 2,
      addedPerStepP50: (s.p50 - d.p50) / 2,
      addedPerStepP99: (s.p99 - d.p99) / 2,
      reported: {
        gatewayOwnPerStepP50: median(own) / 2,
        toolCallP50: median(tool),
      },
    };
    log(
      `run p50 ${ms(d.p50)} direct → ${ms(s.p50)} ms through the gateway; +${ms(results.agent.addedPerStepP50)} ms per step`,
    );
  } finally {
    await Promise.all([stop(gw), stop(model)]);
  }
}

async function measureReady(results, upstream) {
  const p = PARAMS.ready;
  section(
    'ready',
    `spawn → first 200 from /readyz (poll every ${p.pollMs} ms), and spawn → first initialize answered ` +
      `with one more upstream that never answers its handshake; ${p.repeats} times each`,
  );
  const runs = [];
  for (let i = 0; i < p.repeats; i++) {
    const port = await freePort();
    const config = gatewayConfigFile('ready', { port, upstream: upstream.url }); // a fresh SQLite file each time
    const t0 = performance.now();
    const child = spawnNode('switchyard (ready)', [GATEWAY_CLI, 'serve', '--config', config]);
    let endpointMs;
    waitForLine(child, /Switchyard MCP endpoint/).then(
      () => (endpointMs = performance.now() - t0),
      () => {},
    );
    try {
      await waitFor200(`http://127.0.0.1:${port}/readyz`, { everyMs: p.pollMs, child });
      runs.push({ readyMs: performance.now() - t0, endpointLineMs: endpointMs });
    } finally {
      await stop(child);
    }
  }
  const stuckRuns = [];
  for (let i = 0; i < p.repeats; i++) {
    const port = await freePort();
    const config = gatewayConfigFile('ready-stuck', { port, upstream: upstream.url, stuck: true });
    const t0 = performance.now();
    const child = spawnNode('switchyard (ready, stuck upstream)', [GATEWAY_CLI, 'serve', '--config', config]);
    const client = new McpHttpClient(`http://127.0.0.1:${port}/mcp`, { connections: 1 });
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error('switchyard (ready, stuck upstream) exited');
        if (performance.now() - t0 > 20_000) throw new Error('no initialize answered within 20 s');
        const session = await client.openSession().catch(() => undefined);
        if (session) break;
        await sleep(p.pollMs);
      }
      stuckRuns.push({ firstClientMs: performance.now() - t0 });
    } finally {
      await client.close();
      await stop(child);
    }
  }
  const readyMs = median(runs.map((r) => r.readyMs));
  const firstClientMs = median(stuckRuns.map((r) => r.firstClientMs));
  log(`ready ms: ${runs.map((r) => Math.round(r.readyMs)).join(', ')} → median ${Math.round(readyMs)}`);
  log(
    `first client, one upstream stuck: ${stuckRuns.map((r) => Math.round(r.firstClientMs)).join(', ')} → median ${Math.round(firstClientMs)}`,
  );
  results.ready = { params: p, runs, medianMs: readyMs, stuckRuns, firstClientMedianMs: firstClientMs };
}

/** Optional: the gateway under the throughput load, with --cpu-prof; top 10 self-time functions. */
async function profileGateway(results, upstream) {
  section('profile', 'switchyard under the throughput load, node --cpu-prof');
  const dir = join(work, 'cpuprofile');
  mkdirSync(dir, { recursive: true });
  const gw = await startGateway('profile', upstream.url, {
    execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  let load;
  let fromUs;
  let toUs;
  let cpuUs;
  try {
    // Only samples taken under the measured load count (not start-up, not the warm-up).
    fromUs = hrtimeUs() + PARAMS.load.warmupMs * 1000;
    const cpu = cpuMeter({ switchyard: gw.child });
    ({ switchyard: load } = await compareThroughput([{ name: 'switchyard', url: gw.url }], PARAMS.load));
    toUs = hrtimeUs();
    cpuUs = cpuFields(cpu, { switchyard: load.completed });
    log(`profiled switchyard  ${rate(load)}`);
  } finally {
    await stop(gw.child, 15_000); // the profile is written on a clean exit
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the gateway wrote no CPU profile (did it exit cleanly?)');
  const saved = join(RESULTS, 'gateway-throughput.cpuprofile');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(saved, readFileSync(join(dir, file)));
  const summary = topSelfTime(saved, ROOT, { count: 10, fromUs, toUs });
  results.profile = {
    callsPerSec: load.callsPerSec,
    cpuPerCallUs: cpuUs.cpuPerCallUs.switchyard,
    cpuSystemPerCallUs: cpuUs.cpuSystemPerCallUs.switchyard,
    file: 'bench/results/gateway-throughput.cpuprofile',
    ...summary,
  };
}

/** The relaying gateway under the A2A throughput load, for `bench/flamegraph.mjs`. */
async function profileA2a(results) {
  section('profile', 'switchyard relaying A2A under the throughput load, node --cpu-prof');
  const dir = join(work, 'cpuprofile-a2a');
  mkdirSync(dir, { recursive: true });
  const agent = spawnNode('a2a agent', [A2A_AGENT, '--port', '0']);
  const [, agentUrl] = await waitForLine(agent, /listening (\S+)/);
  const gw = await startGateway('profile-a2a', `a2a:${agentUrl}`, {
    execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  try {
    const target = { name: 'switchyard', url: `${new URL(gw.url).origin}/a2a/agent` };
    const { switchyard } = await a2aThroughput([target], { ...PARAMS.a2aLoad, rounds: 2 });
    log(`profiled switchyard  ${int(switchyard.callsPerSec)} calls/s`);
  } finally {
    await stop(gw.child, 15_000); // the profile is written on a clean exit
    await stop(agent);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the gateway wrote no CPU profile (did it exit cleanly?)');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'gateway-a2a.cpuprofile'), readFileSync(join(dir, file)));
  results.profileA2a = { file: 'bench/results/gateway-a2a.cpuprofile' };
}

// ---------------------------------------------------------------------------------------------
// Report

function report(results) {
  const rows = [];
  const L = results.latency;
  if (L) {
    rows.push(
      [
        'latency p50 (ms)',
        `${ms(L.direct.p50)} direct`,
        ms(L.switchyard.p50),
        `${signed(L.addedP50)} ms`,
        TARGETS.addedP50,
        L.addedP50,
      ],
      [
        'latency p99 (ms)',
        `${ms(L.direct.p99)} direct`,
        ms(L.switchyard.p99),
        `${signed(L.addedP99)} ms`,
        TARGETS.addedP99,
        L.addedP99,
      ],
    );
  }
  const T = results.throughput;
  if (T) {
    rows.push([
      'throughput, 64 in flight (calls/s)',
      `${int(T.direct.callsPerSec)} direct`,
      int(T.switchyard.callsPerSec),
      `${T.ratio.toFixed(2)}× direct`,
      TARGETS.vsDirect,
      T.ratio,
    ]);
    rows.push([
      'CPU per call under that load (µs)',
      `${int(T.cpuPerCallUs.nullProxy)} null proxy`,
      int(T.cpuPerCallUs.switchyard),
      `upstream: ${int(T.cpuPerCallUs.upstream)}`,
      null,
    ]);
  }
  const P = results.proxy;
  if (P) {
    rows.push(
      [
        'stdio upstream: throughput (calls/s)',
        `${int(P.throughput.mcpProxy.callsPerSec)} mcp-proxy`,
        int(P.throughput.switchyard.callsPerSec),
        `${P.throughput.ratio.toFixed(2)}× mcp-proxy`,
        TARGETS.vsProxy,
        P.throughput.ratio,
      ],
      [
        'stdio upstream: latency p50 (ms)',
        `${ms(P.latency.mcpProxy.p50)} mcp-proxy`,
        ms(P.latency.switchyard.p50),
        `${(P.latency.switchyard.p50 / P.latency.mcpProxy.p50).toFixed(2)}× mcp-proxy`,
        null,
      ],
      [
        'stdio upstream: CPU per call (µs)',
        `${int(P.cpuPerCallUs.mcpProxy)} mcp-proxy`,
        int(P.cpuPerCallUs.switchyard),
        `${(P.cpuPerCallUs.switchyard / P.cpuPerCallUs.mcpProxy).toFixed(2)}× mcp-proxy`,
        null,
      ],
    );
  }
  const M = results.memory;
  if (M) {
    rows.push(
      [
        'RSS, no sessions (MB)',
        `${mb(M.mcpProxy.rssBeforeMB)} mcp-proxy`,
        mb(M.switchyard.rssBeforeMB),
        '',
        null,
      ],
      [
        'RSS, 1,000 idle sessions (MB)',
        `${mb(M.mcpProxy.rssAfterMB)} mcp-proxy`,
        mb(M.switchyard.rssAfterMB),
        `+${mb(M.switchyard.rssAfterMB - M.switchyard.rssBeforeMB)} MB`,
        TARGETS.rss1000,
        M.switchyard.rssAfterMB,
      ],
    );
  }
  const R = results.ready;
  if (R) {
    rows.push([
      'ready time, median of 5 (ms)',
      '',
      int(R.medianMs),
      `${R.runs.map((r) => int(r.readyMs)).join('/')}`,
      TARGETS.readyMs,
      R.medianMs,
    ]);
    if (R.stuckRuns)
      rows.push([
        'first client answered, 1 upstream stuck (ms)',
        '',
        int(R.firstClientMedianMs),
        `${R.stuckRuns.map((r) => int(r.firstClientMs)).join('/')}`,
        TARGETS.readyMs,
        R.firstClientMedianMs,
      ]);
  }

  const A = results.a2a;
  if (A) {
    rows.push(
      [
        'A2A SendMessage p50 (ms), relayed',
        `${ms(A.direct.p50)} direct`,
        ms(A.switchyard.p50),
        `${signed(A.addedP50)} ms`,
        TARGETS.a2aAddedP50,
        A.addedP50,
      ],
      [
        'A2A SendMessage p50 (ms), null proxy',
        `${ms(A.direct.p50)} direct`,
        ms(A.nullProxy.p50),
        `${signed(A.nullProxyAddedP50)} ms`,
      ],
      [
        'A2A SendMessage p50 (ms), decoded (a2a.relay: false)',
        `${ms(A.direct.p50)} direct`,
        ms(A.decoding.p50),
        `${signed(A.decodingAddedP50)} ms`,
      ],
      [
        'A2A SendMessage p99 (ms), relayed',
        `${ms(A.direct.p99)} direct`,
        ms(A.switchyard.p99),
        `${signed(A.addedP99)} ms`,
      ],
      [
        'A2A throughput, 32 in flight (calls/s), relayed',
        `${int(A.throughput.direct.callsPerSec)} direct`,
        int(A.throughput.switchyard.callsPerSec),
        `${A.ratio.toFixed(2)}× direct`,
        TARGETS.a2aVsDirect,
        A.ratio,
      ],
      [
        'A2A throughput, null proxy (calls/s)',
        `${int(A.throughput.direct.callsPerSec)} direct`,
        int(A.throughput.nullProxy.callsPerSec),
        `${A.nullProxyRatio.toFixed(2)}× direct`,
      ],
      [
        'A2A throughput, decoded (calls/s)',
        `${int(A.throughput.direct.callsPerSec)} direct`,
        int(A.throughput.decoding.callsPerSec),
        `${A.decodingRatio.toFixed(2)}× direct`,
      ],
      [
        'A2A CPU per call under that load (µs), relayed',
        `${int(A.cpuPerCallUs.agent)} agent`,
        int(A.cpuPerCallUs.switchyard),
        `${(A.cpuPerCallUs.switchyard / A.cpuPerCallUs.agent).toFixed(2)}× the agent`,
      ],
      [
        'A2A CPU per call (µs), null proxy',
        `${int(A.cpuPerCallUs.agent)} agent`,
        int(A.cpuPerCallUs.nullProxy),
        `${(A.cpuPerCallUs.nullProxy / A.cpuPerCallUs.agent).toFixed(2)}× the agent`,
      ],
      [
        'A2A CPU per call (µs), decoded',
        `${int(A.cpuPerCallUs.agent)} agent`,
        int(A.cpuPerCallUs.decoding),
        `${(A.cpuPerCallUs.decoding / A.cpuPerCallUs.agent).toFixed(2)}× the agent`,
      ],
    );
  }
  const G = results.agent;
  if (G) {
    rows.push(
      [
        'agent run, 2 model turns + 1 tool call, p50 (ms)',
        `${ms(G.direct.p50)} direct`,
        ms(G.switchyard.p50),
        `${signed(G.addedPerStepP50)} ms per step`,
      ],
      [
        'agent run p99 (ms)',
        `${ms(G.direct.p99)} direct`,
        ms(G.switchyard.p99),
        `${signed(G.addedPerStepP99)} ms per step`,
      ],
      [
        "gateway's own time per step, p50 (ms, its report)",
        '',
        ms(G.reported.gatewayOwnPerStepP50),
        `tool call ${ms(G.reported.toolCallP50)} ms`,
      ],
    );
  }
  const S = results.trust;
  if (S) {
    rows.push(
      [
        'tools/call with auth+policy+ledger+validation (calls/s)',
        `${int(S.off.callsPerSec)} all off`,
        int(S.on.callsPerSec),
        `${(S.cost * 100).toFixed(1)}% cost`,
        TARGETS.trustCost,
        S.cost,
      ],
      [
        'CPU per call, trust off → on (µs)',
        `${int(S.cpuPerCallUs.off)} all off`,
        int(S.cpuPerCallUs.on),
        `+${int(S.cpuPerCallUs.on - S.cpuPerCallUs.off)} µs`,
        null,
      ],
    );
  }

  const header = ['measurement', 'baseline', 'switchyard', 'result', 'target', ''];
  const table = rows.map(([what, base, sy, result, target, value]) => [
    what,
    base,
    sy,
    result,
    target ? target.text : '(info)',
    target ? (meets(target, value) ? 'met' : 'MISSED') : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const m = results.machine;
  console.log('');
  console.log(
    `Switchyard ${m.switchyard} (${m.commit}) — node ${m.node}, ${m.cpus}× ${m.cpuModel}, ${m.timestamp}`,
  );
  const pct = (x) => `${Math.round(x * 100)}%`;
  console.log(
    `Other load on the machine: ${pct(m.busyBefore)} of CPU busy before the run, ${pct(m.busyAfter)} after` +
      (Math.max(m.busyBefore, m.busyAfter) > 0.2 ? ' — busy: expect noisy numbers, rerun when quiet' : ''),
  );
  console.log('');
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of table) console.log(line(r));
  if (L?.nullProxy || T?.nullProxy) {
    const parts = [];
    if (L?.nullProxy) parts.push(`adds p50 ${signed(L.hopP50)} ms, p99 ${signed(L.hopP99)} ms`);
    if (T?.nullProxy) parts.push(`runs at ${T.nullProxyRatio.toFixed(2)}× direct throughput`);
    console.log(
      `\nFor scale: a pass-through Node.js hop with no MCP logic (bench/null-proxy.mjs) ${parts.join(' and ')}.`,
    );
  }
  const errors = errorCounts(results);
  if (errors.length) console.log(`\nerrors during the run: ${errors.join('; ')}`);
  if (results.profile) {
    const pr = results.profile;
    console.log(
      `\nGateway CPU profile under the throughput load (${int(pr.callsPerSec)} calls/s; ` +
        `${int(pr.cpuPerCallUs)} µs CPU per call, of which ${int(pr.cpuSystemPerCallUs)} µs in the kernel; ` +
        `sampled busy ${int(pr.totalMs - pr.idleMs)} ms of ${int(pr.totalMs)} ms):`,
    );
    console.log('  self ms   % busy  function');
    for (const t of pr.top) {
      console.log(`  ${t.ms.toFixed(0).padStart(7)}  ${t.pct.toFixed(1).padStart(6)}%  ${t.fn}  ${t.where}`);
    }
    console.log('  by origin:');
    for (const o of pr.byOrigin) {
      console.log(`  ${o.ms.toFixed(0).padStart(7)}  ${o.pct.toFixed(1).padStart(6)}%  ${o.origin}`);
    }
  }
}

function meets(target, value) {
  if (!Number.isFinite(value)) return false;
  return target.max !== undefined ? value <= target.max : value >= target.min;
}

function errorCounts(results) {
  const out = [];
  const visit = (path, v) => {
    if (!v || typeof v !== 'object') return;
    if (typeof v.errors === 'number' && v.errors > 0) out.push(`${path}: ${v.errors} (${v.firstError})`);
    for (const [k, c] of Object.entries(v)) if (k !== 'machine') visit(path ? `${path}.${k}` : k, c);
  };
  visit('', results);
  return out;
}

// ---------------------------------------------------------------------------------------------

function machineInfo() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (dirty.trim()) commit += '+dirty src';
  } catch {
    // not a git checkout
  }
  return {
    timestamp: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${release()}`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    totalMemMB: Math.round(totalmem() / 2 ** 20),
    loadAvgStart: loadavg(),
    switchyard: packageVersion('.'),
    commit,
    sdk: packageVersion('@modelcontextprotocol/sdk'),
    undici: packageVersion('undici'),
  };
}

function packageVersion(name) {
  const file = name === '.' ? join(ROOT, 'package.json') : join(ROOT, 'node_modules', name, 'package.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

function withErrors(summary, run) {
  return { ...summary, errors: run.errors, firstError: run.firstError };
}

const hrtimeUs = () => Number(process.hrtime.bigint() / 1000n);
const signed = (v) => (v >= 0 ? `+${ms(v)}` : ms(v));
const ms = (v) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const mb = (v) => v.toFixed(1);
const int = (v) => String(Math.round(v));
const rate = (r) =>
  `${int(r.callsPerSec)} calls/s, p50 ${ms(r.latency.p50)} ms, p99 ${ms(r.latency.p99)} ms${r.errors ? `, ${r.errors} errors` : ''}`;
const loadText = (p) =>
  `${p.sessions * p.perSession} in flight over ${p.sessions} sessions; ${p.warmupMs} ms warm-up, then ` +
  `${p.durationMs} ms per target in ${p.rounds} alternating windows`;
const log = (msg) => console.error(`  ${msg}`);
const section = (name, what) => console.error(`[${name}] ${what}`);

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

async function main() {
  if (!existsSync(GATEWAY_CLI))
    fail(`${GATEWAY_CLI} is missing: run \`npm run build\` (or \`npm run bench\`)`);
  if (only.includes('proxy') || only.includes('memory')) {
    if (!existsSync(MCP_PROXY)) fail(`${MCP_PROXY} is missing: run \`npm ci\``);
  }
  work = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const started = performance.now();
  const results = { machine: machineInfo(), sections: only };
  console.error(
    `bench: ${only.join(', ')}${opts.quick ? ' (quick)' : ''}${opts.profile ? ' + profile' : ''}`,
  );
  // Other work on the machine competes with every process here: say how much there was.
  results.machine.busyBefore = await machineBusy(1000);

  const upstream = await startUpstream();
  try {
    if (only.includes('latency')) await measureLatency(results, upstream);
    if (only.includes('throughput')) await measureThroughput(results, upstream);
    if (only.includes('proxy')) await measureProxy(results);
    if (only.includes('memory')) await measureMemory(results, upstream);
    if (only.includes('ready')) await measureReady(results, upstream);
    if (only.includes('a2a')) await measureA2a(results);
    if (only.includes('trust')) await measureTrust(results, upstream);
    if (only.includes('agent')) await measureAgent(results, upstream);
    if (opts.profile) await profileGateway(results, upstream);
    if (opts.profile && only.includes('a2a')) await profileA2a(results);
  } finally {
    await stopAll();
  }
  results.machine.busyAfter = await machineBusy(1000);
  results.machine.loadAvgEnd = loadavg();
  results.runtimeSec = (performance.now() - started) / 1000;

  report(results);
  const partial = only.length !== SECTIONS.length || opts.quick;
  const out = join(RESULTS, partial ? `latest-partial.json` : 'latest.json');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\n${results.runtimeSec.toFixed(0)} s; results in ${out.slice(ROOT.length)}`);
}

process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`\nbench: ${sig}, stopping children`);
    stopAll().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (err) {
  console.error(`\nbench failed: ${err?.stack ?? err}`);
  await stopAll();
  process.exitCode = 1;
} finally {
  if (work) rmSync(work, { recursive: true, force: true });
}
