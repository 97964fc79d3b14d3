/**
 * Child processes for the benchmark: the upstream, Switchyard, mcp-proxy.
 *
 * Every child is started in its own process group (detached) and remembered, so that `stopAll()`
 * — called at the end, on failure, on Ctrl-C, and as a last resort on exit — can end it and
 * whatever it started (the stdio upstream behind a proxy) by id. Stopping is graceful first
 * (SIGTERM, wait), then SIGKILL for anything left in the group.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();

/**
 * Spawn `node <args>` with piped output. Output is drained (a full pipe would stall the child)
 * and its tail kept for error messages.
 */
export function spawnNode(name, args, { execArgv = [] } = {}) {
  const child = spawn(process.execPath, [...execArgv, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.benchName = name;
  child.outputTail = [];
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.exited.then(() => running.delete(child));
  child.once('error', () => running.delete(child));
  const keep = (chunk) => {
    child.outputTail.push(String(chunk));
    if (child.outputTail.length > 40) child.outputTail.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  running.add(child);
  return child;
}

/** Resolve with the first stdout match of `pattern`; reject if the child exits or time runs out. */
export function waitForLine(child, pattern, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk) => {
      buffered += String(chunk);
      const m = pattern.exec(buffered);
      if (m) finish(null, m);
    };
    const onExit = (code, signal) =>
      finish(
        new Error(`${child.benchName} exited (${signal ?? code}) before printing ${pattern}\n${tail(child)}`),
      );
    const timer = setTimeout(
      () =>
        finish(
          new Error(`${child.benchName} did not print ${pattern} within ${timeoutMs} ms\n${tail(child)}`),
        ),
      timeoutMs,
    );
    function finish(err, m) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m);
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Poll `url` with GET every `everyMs` until it answers 200. Resolves with the elapsed ms. */
export async function waitFor200(url, { timeoutMs = 20_000, everyMs = 10, child } = {}) {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (child && child.exitCode !== null) throw new Error(`${child.benchName} exited\n${tail(child)}`);
    try {
      const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.dump();
      if (res.statusCode === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(everyMs);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms${child ? `\n${tail(child)}` : ''}`);
}

/** A free loopback port (for programs that cannot report the port they picked). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Resident set size (VmRSS), its peak (VmHWM) and the private anonymous part (heap and other
 * allocations; the rest of RSS is mostly the node binary's pages, shared by every node process), in MB.
 */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  let anonKB = NaN;
  try {
    anonKB = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Anonymous');
  } catch {
    // older kernels: no smaps_rollup
  }
  return { rssMB: kb(status, 'VmRSS') / 1024, peakMB: kb(status, 'VmHWM') / 1024, anonMB: anonKB / 1024 };
}

/**
 * How busy the machine is without us: the share of all CPUs in use over `ms`, from /proc/stat.
 * Call it while nothing of ours is running.
 */
export async function machineBusy(ms = 1000) {
  const read = () => {
    const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const idle = v[3] + v[4]; // idle + iowait
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is in user)
    return { idle, total };
  };
  const a = read();
  await sleep(ms);
  const b = read();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

/** CPU time a process has used so far (user, system), in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS }; // utime (14), stime (15)
}

/** SIGTERM, wait up to graceMs for a clean exit, then SIGKILL whatever is left in its group. */
export async function stop(child, graceMs = 5000) {
  if (child.exitCode === null && child.signalCode === null) {
    signal(child.pid, 'SIGTERM');
    await Promise.race([child.exited, sleep(graceMs)]);
  }
  signal(-child.pid, 'SIGKILL'); // the group: children the child may have left behind
  if (child.exitCode === null && child.signalCode === null) {
    signal(child.pid, 'SIGKILL');
    await child.exited;
  }
  running.delete(child);
}

export async function stopAll() {
  await Promise.all([...running].map((c) => stop(c)));
}

/** Last resort (synchronous, for process 'exit'): kill every group we started. */
export function killAllNow() {
  for (const c of running) signal(-c.pid, 'SIGKILL');
  running.clear();
}

export function tail(child) {
  const text = child.outputTail.join('').trim();
  return text ? `--- ${child.benchName} output (tail) ---\n${text.slice(-3000)}` : '';
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
