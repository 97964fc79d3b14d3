/**
 * What a call pays to be cancellable: the gateway's `Cancellation` (src/mcp/upstream/forwarder.ts)
 * against an `AbortController`, each created with one listener added and removed, as a forwarded
 * call does. Prints CPU time per call.
 *
 *   node bench/cancellation.mjs
 */
import { Cancellation } from '../dist/mcp/upstream/forwarder.js';

const N = 2_000_000;
const listener = () => {};

function viaCancellation() {
  const c = new Cancellation();
  c.onCancel(listener)();
  return c;
}

function viaAbortController() {
  const a = new AbortController();
  a.signal.addEventListener('abort', listener);
  a.signal.removeEventListener('abort', listener);
  return a;
}

for (const [name, make] of [
  ['Cancellation', viaCancellation],
  ['AbortController', viaAbortController],
]) {
  for (let i = 0; i < N / 10; i++) make(); // warm-up
  const before = process.cpuUsage();
  for (let i = 0; i < N; i++) make();
  const used = process.cpuUsage(before);
  console.log(`${name.padEnd(16)} ${Math.round(((used.user + used.system) / N) * 1000)} ns CPU per call`);
}
