/**
 * Fuzz: 100,000 generated JSON-RPC requests at `POST /a2a/<name>` and 100,000 HTTP+JSON requests
 * under `/a2a/<name>/rest/…` (v1.0 and v0.3 each; valid, mutated, deeply nested, truncated, with
 * wrong content types, versions and paths; generator in test/support/a2a-fuzz.ts), at each kind
 * of agent the gateway serves: a proxied A2A SDK agent, an MCP server served as an agent, and a
 * tool group. The gateway is a real `switchyard serve` child process, so a crash or an unhandled
 * rejection shows as an exit. Nothing may crash, nothing may be logged as unhandled, no answer may
 * be a 5xx or an internal error or carry internals, and every agent still answers afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A2aFuzz, type FuzzAgent } from '../support/a2a-fuzz.js';
import { spawnA2aAgent } from '../support/a2a-agent.js';
import { configFile, ServeProcess } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';
import { gen } from '../support/fuzz.js';
import { fuzzHttp, judge, type Answer, type FuzzReport, type HttpInput } from '../support/http-fuzz.js';

const INPUTS = 100_000;
/** Inputs of the deep-nesting sweep that comes first (64 depths × 7 variants). */
const SWEEP = 448;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const AGENTS: FuzzAgent[] = [
  { name: 'travel', kind: 'proxy' },
  { name: 'fixture', kind: 'mcp' },
  { name: 'maths', kind: 'group' },
];
/** A message each agent completes a task for. */
const WORK: Record<string, Json> = {
  travel: { text: 'echo still here' },
  fixture: { data: { tool: 'fixture.echo', arguments: { text: 'still here' } } },
  maths: { data: { tool: 'fixture.add', arguments: { a: 2, b: 3 } } },
};

/** The deep-nesting sweep first (on a freshly started gateway), then `n` generated requests. */
function* inputs(sweep: Iterable<HttpInput>, n: number, make: () => HttpInput): Generator<HttpInput> {
  yield* sweep;
  for (let i = 0; i < n; i++) yield make();
}

/** What a run must show: no crash, no failure, nothing left unsent, and a spread of inputs and answers. */
function expectClean(report: FuzzReport) {
  // One assertion, so that a failing run shows all it found.
  const { crashes, failures, quarantined } = report;
  expect({ crashes, failures, quarantined }).toEqual({ crashes: [], failures: [], quarantined: {} });
  expect(report.sent).toBe(INPUTS + SWEEP);
  expect(report.kinds.valid).toBeGreaterThan(INPUTS * 0.4);
  expect(report.kinds.deep).toBeGreaterThan(200);
  expect(report.kinds.truncated).toBeGreaterThan(INPUTS * 0.03);
}

describe('fuzz: the A2A fronts', () => {
  let agent: Awaited<ReturnType<typeof spawnA2aAgent>>;
  let gw: ServeProcess;
  let fuzz: A2aFuzz;

  const rpc = async (name: string, method: string, params: Json, version = '1.0') => {
    const res = await fetch(`${gw.base}/a2a/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'A2A-Version': version },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    return (await res.json()) as Json;
  };
  const send = (name: string, part: Json) =>
    rpc(name, 'SendMessage', {
      message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [part] },
    });

  beforeAll(async () => {
    agent = await spawnA2aAgent();
    const file = configFile('fuzz-a2a', {
      log: { level: 'error' },
      // Records are written at once: one that cannot be written fails next to its request.
      audit: { flushIntervalMs: 0 },
      upstreams: [
        { name: 'travel', a2a: { url: agent.url } },
        { name: 'fixture', mcp: stdioFixture('fixture') },
      ],
      a2a: {
        groups: [{ name: 'maths', tools: ['fixture.add', 'fixture.echo'] }],
        // Push configs on loopback are stored (delivery fails fast at port 1), so that path runs too.
        push: { allowPrivateNetworks: true, allowedHosts: ['127.0.0.1'], retries: 0 },
      },
    });
    // The A2A SDK logs a refused protocol version as "Unhandled error" though it answers it
    // properly (-32009); every other such line counts.
    gw = await ServeProcess.start(
      file,
      (line) =>
        /unhandled|uncaught/i.test(line) &&
        !line.startsWith('Unhandled error in JSON-RPC POST handler: VersionNotSupportedError'),
    );
    // A few tasks to start with, per agent: a completed one and (travel) one waiting for input.
    const tasks: Record<string, string[]> = {};
    for (const a of AGENTS) {
      const done = await send(a.name, WORK[a.name]!);
      tasks[a.name] = [done.result.task.id as string];
    }
    tasks.travel!.push((await send('travel', { text: 'ask' })).result.task.id as string);
    fuzz = new A2aFuzz(gen(20260211), AGENTS, tasks);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await agent?.stop();
  });

  /** Every agent still does its work, over both bindings and both versions. */
  const expectServing = async () => {
    expect(gw.alive).toBe(true);
    for (const a of AGENTS) {
      const v1 = await send(a.name, WORK[a.name]!);
      expect(v1.result?.task?.status?.state, `${a.name} JSON-RPC 1.0`).toBe('TASK_STATE_COMPLETED');
      const part = WORK[a.name]!.text
        ? { kind: 'text', text: WORK[a.name]!.text }
        : { kind: 'data', data: WORK[a.name]!.data };
      const v03 = await rpc(
        a.name,
        'message/send',
        { message: { kind: 'message', messageId: 'm-v03', role: 'user', parts: [part] } },
        '0.3',
      );
      expect(v03.result?.status?.state, `${a.name} JSON-RPC 0.3`).toBe('completed');
      const rest = await fetch(`${gw.base}/a2a/${a.name}/rest/message:send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' },
        body: JSON.stringify({ message: { messageId: 'm-rest', role: 'ROLE_USER', parts: [WORK[a.name]] } }),
      });
      expect(rest.status, `${a.name} HTTP+JSON 1.0`).toBe(200);
      expect(((await rest.json()) as Json).task.status.state).toBe('TASK_STATE_COMPLETED');
    }
  };

  /**
   * The one documented 5xx: the proxied agent's own failure (it is down, or answers an HTTP error
   * or something that is not A2A — its server refuses the largest messages with 413) is
   * InvalidAgentResponse naming the agent, without what it sent: -32006 on JSON-RPC, and 500 on
   * HTTP+JSON, as the A2A SDK maps that error. Anything else at 5xx, and any internal error, fails.
   */
  const check = (input: HttpInput, answer: Answer) =>
    judge(
      answer,
      input.path.startsWith('/a2a/travel') &&
        answer.status === 500 &&
        (answer.body.includes('INVALID_AGENT_RESPONSE') || answer.body.includes('"code":-32006')) &&
        answer.body.includes('on agent \\"travel\\" failed'),
    );

  it(
    `survives ${INPUTS} generated JSON-RPC requests (v1.0 and v0.3) at proxied, MCP and group agents`,
    { timeout: 900_000 },
    async () => {
      let results = 0;
      const report = await fuzzHttp(
        gw,
        inputs(fuzz.deepSweep('JSONRPC'), INPUTS, () => fuzz.jsonRpc()),
        {
          check,
          learn: (i, a) => {
            if (/^(data: )?\{"jsonrpc":"2\.0","id":[^,]*,"result"/.test(a.body)) results++;
            fuzz.learn(i, a);
          },
        },
      );
      expectClean(report);
      // The generator reaches the agents: tasks and messages come back, besides the refusals.
      expect(results).toBeGreaterThan(INPUTS * 0.15);
      await expectServing();
    },
  );

  it(
    `survives ${INPUTS} generated HTTP+JSON requests (v1.0 and v0.3 routes) at proxied, MCP and group agents`,
    { timeout: 900_000 },
    async () => {
      await gw.restart(); // a fresh process for the sweep (see A2aFuzz.deepSweep)
      const report = await fuzzHttp(
        gw,
        inputs(fuzz.deepSweep('HTTP+JSON'), INPUTS, () => fuzz.rest()),
        { check, learn: (i, a) => fuzz.learn(i, a) },
      );
      expectClean(report);
      expect(report.statuses[200]).toBeGreaterThan(INPUTS * 0.1);
      expect(report.statuses[400]).toBeGreaterThan(INPUTS * 0.05);
      await expectServing();
    },
  );
});
