/**
 * Running generated HTTP requests at a `switchyard serve` child process (ServeProcess) and judging
 * every answer: 8 workers over keep-alive connections, a deadline per request, and a report of
 * failure classes (each with a count and the first inputs that produced it), so that one bug
 * that fires thousands of times does not hide the others.
 *
 * A crash is handled rather than ending the run: the gateway is started again, the requests that
 * were in flight or just before are replayed one at a time to find the one that kills it, and
 * the kind of input that did (e.g. `deep`) is sent no more in this run (its remaining count is
 * reported). The run stops after a few crashes.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { ServeProcess } from './cli.js';

export interface HttpInput {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** What made it: `valid`, `truncated`, `deep`… Failures list their kinds; a crashing kind is quarantined. */
  kind: string;
  /** Where it went, for the report: the agent, binding and protocol version, or the admin route. */
  label: string;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The whole body, or for an event stream its first event. */
  body: string;
}

/** Internals that must never reach a client: error codes, messages and traces of the gateway's own faults. */
export const LEAK =
  /SWY_INTERNAL|Internal error|\.[jt]s:\d+|at [\w.<>$]+ \(|node_modules|Maximum call stack|Cannot read propert|is not a function|is not iterable|(Type|Range|Reference|Syntax)Error\b/;

/** The failure an answer shows, or undefined when it is fine. `allow5xx` whitelists documented 5xx. */
export function judge(answer: Answer, allow5xx = false): string | undefined {
  const rpcInternal = /"code"\s*:\s*-32603\b/.test(answer.body);
  if (answer.status >= 500 && !allow5xx) return `HTTP ${answer.status}`;
  if (rpcInternal) return 'JSON-RPC -32603 internal error';
  const leak = LEAK.exec(answer.body);
  if (leak) return `leaks internals (${leak[0]})`;
  return undefined;
}

export interface FuzzOptions {
  /** Returns the failure an answer shows (default: `judge`). */
  check?: (input: HttpInput, answer: Answer) => string | undefined;
  /** Sees every answer (to learn ids for later inputs). */
  learn?: (input: HttpInput, answer: Answer) => void;
  workers?: number;
  /** A request without an answer by then is a failure (`no answer`). */
  timeoutMs?: number;
  /** Crashes after which the run stops. */
  maxCrashes?: number;
}

export interface FuzzReport {
  sent: number;
  statuses: Record<number, number>;
  kinds: Record<string, number>;
  /** One line per failure class: `<class> ×<count> [kinds] e.g. <input> → <answer>`. */
  failures: string[];
  /** One entry per crash: the input that reproduces it (or the suspects), the exit and stderr. */
  crashes: string[];
  /** Kinds no longer sent after a crash, with how many were left out. */
  quarantined: Record<string, number>;
}

interface FailureClass {
  count: number;
  kinds: Set<string>;
  labels: Set<string>;
  examples: string[];
}

/** One line describing an input (bodies cut short; their full size given). */
export function describeInput(input: HttpInput): string {
  const body = Buffer.from(input.body ?? '');
  const shown =
    body.length > 300
      ? `${body.subarray(0, 160).toString('utf8')} …(${body.length} bytes)… ${body.subarray(-60).toString('utf8')}`
      : body.toString('utf8');
  const ct = input.headers?.['content-type'];
  const auth = input.headers?.authorization;
  return (
    `[${input.kind}] ${input.method} ${input.path.length > 300 ? `${input.path.slice(0, 300)}…` : input.path}` +
    (ct ? ` (${ct})` : '') +
    (auth ? ` (authorization: ${auth.slice(0, 40)})` : '') +
    (input.headers?.['a2a-version'] !== undefined ? ` (A2A-Version: ${input.headers['a2a-version']})` : '') +
    (shown ? ` ${JSON.stringify(shown)}` : '')
  );
}

/** A body without its ids, numbers and long runs, so that answers of one bug fall into one class. */
function signature(body: string): string {
  return body
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/"id"\s*:\s*("[^"]*"|-?\d+|null)/g, '"id":…')
    .replace(/\d+/g, 'N')
    .replace(/(.)\1{20,}/g, '$1…')
    .slice(0, 160);
}

/**
 * A stderr line, shortened to what failed and where: for the gateway's JSON log lines the message,
 * the error's type and message and its first frame in src/, and the request path.
 */
function stderrLine(line: string): { key: string; text: string } {
  try {
    const { err, msg, path } = JSON.parse(line) as {
      err?: { type?: string; message?: string; stack?: string };
      msg?: string;
      path?: string;
    };
    const frame = /\(?([^\s(]*\/src\/[^\s)]+)\)?/.exec(err?.stack ?? '')?.[1]?.replace(/^.*\/src\//, 'src/');
    const what = `"${msg}" ${err?.type}: ${(err?.message ?? '').slice(0, 160)}${frame ? ` at ${frame}` : ''}`;
    return {
      key: `${msg} ${err?.type} ${signature(err?.message ?? '')} ${frame}`,
      text: `${what}${path ? ` (e.g. ${path.slice(0, 160)})` : ''}`,
    };
  } catch {
    // Not JSON (another library's line, or one cut short): its first 300 characters.
    return { key: signature(line), text: line.slice(0, 300) };
  }
}

/** What a crashed process said last: where it threw (Node prints the file and line), what, and the first frames. */
function crashCause(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  const at = lines.findLastIndex((l) => /^[A-Z]\w*(Error|Exception)\b/.test(l));
  if (at === -1) return lines.slice(-12).join('\n').slice(-3000);
  const where = lines.slice(0, at).findLast((l) => /^\S+:\d+$/.test(l));
  return [...(where ? [where] : []), ...lines.slice(at, at + 4)].join('\n').slice(0, 3000);
}

export async function fuzzHttp(
  gw: ServeProcess,
  inputs: Iterable<HttpInput>,
  opts: FuzzOptions = {},
): Promise<FuzzReport> {
  const workers = opts.workers ?? 8;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const check = opts.check ?? ((_i: HttpInput, a: Answer) => judge(a));
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const report: FuzzReport = { sent: 0, statuses: {}, kinds: {}, failures: [], crashes: [], quarantined: {} };
  const classes = new Map<string, FailureClass>();
  const inFlight = new Set<HttpInput>();
  const recent: HttpInput[] = [];
  let recovering: Promise<void> | undefined;
  let stopped = false;
  /** Counts restarts: a request begun before one failed because of the crash, not by itself. */
  let generation = 0;
  // stderr lines, one per kind (what failed and where), with the first of each.
  const alarms = new Map<string, { count: number; text: string }>();
  const unwatch = gw.watch((line) => {
    const { key, text } = stderrLine(line);
    const a = alarms.get(key);
    if (a) a.count++;
    else alarms.set(key, { count: 1, text });
  });

  const fail = (what: string, input: HttpInput, answer?: Answer) => {
    const key = answer ? `${what}: ${signature(answer.body)}` : what;
    let c = classes.get(key);
    if (!c) classes.set(key, (c = { count: 0, kinds: new Set(), labels: new Set(), examples: [] }));
    c.count++;
    c.kinds.add(input.kind);
    c.labels.add(input.label);
    // Two examples of each kind of input that shows it (six at most).
    const sameKind = c.examples.filter((e) => e.startsWith(`[${input.kind}]`)).length;
    if (sameKind < 2 && c.examples.length < 6)
      c.examples.push(
        `${describeInput(input)} → ${answer ? `${answer.status} ${answer.body.slice(0, 400)}` : what}`,
      );
  };

  const send = (input: HttpInput) =>
    new Promise<Answer>((resolve, reject) => {
      const url = new URL(gw.base);
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: input.method,
          path: input.path,
          headers: {
            ...input.headers,
            ...(input.body !== undefined ? { 'content-length': Buffer.byteLength(input.body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          const stream = /text\/event-stream/.test(res.headers['content-type'] ?? '');
          const done = () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          res.on('data', (d: Buffer) => {
            chunks.push(d);
            // An event stream may stay open for as long as its task lives: its first event is enough.
            if (stream && Buffer.concat(chunks).includes('\n\n')) {
              done();
              req.destroy();
            }
          });
          res.on('end', done);
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error('no answer')));
      req.on('error', reject);
      req.end(input.body);
    });

  /**
   * After a request failed: is the gateway still there? A crash shows as refused connections, and
   * the exit is reported a moment later: wait for it (bounded).
   */
  const answering = async (): Promise<boolean> => {
    if (!gw.alive) return false;
    const probe = await send({ method: 'GET', path: '/healthz', kind: 'probe', label: 'probe' }).then(
      () => true,
      () => false,
    );
    if (probe) return true;
    for (const end = Date.now() + 5000; gw.alive && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 20));
    return gw.alive;
  };

  /** After a crash: start again, then find which of the suspects kills it. */
  const recover = async (suspects: HttpInput[]) => {
    const exit = gw.exits.at(-1);
    const stderr = crashCause(exit?.stderr ?? '');
    const crash = `exit ${exit?.code ?? '?'}${exit?.signal ? ` (${exit.signal})` : ''}`;
    await gw.restart();
    generation++;
    for (const input of suspects) {
      await send(input).catch(() => undefined);
      // A crash may follow its request by a moment (a timer, a flush): allow it that moment.
      for (const end = Date.now() + 100; gw.alive && Date.now() < end;)
        await new Promise((r) => setTimeout(r, 10));
      const up = await answering();
      if (up) continue;
      report.crashes.push(`${crash} on ${describeInput(input)} (${input.label})\n${stderr}`);
      report.quarantined[input.kind] ??= 0;
      await gw.restart();
      generation++;
      return;
    }
    report.crashes.push(
      `${crash}; not reproduced by replaying alone the ${suspects.length} requests in flight or just ` +
        `before it:\n${suspects.map((s) => `  ${describeInput(s)}`).join('\n')}\n${stderr}`,
    );
  };

  const iterator = inputs[Symbol.iterator]();
  const worker = async () => {
    for (;;) {
      if (recovering) await recovering;
      if (stopped) return;
      const next = iterator.next();
      if (next.done) return;
      const input = next.value;
      if (input.kind in report.quarantined) {
        report.quarantined[input.kind]!++;
        continue;
      }
      report.sent++;
      report.kinds[input.kind] = (report.kinds[input.kind] ?? 0) + 1;
      inFlight.add(input);
      const gen = generation;
      try {
        const answer = await send(input);
        report.statuses[answer.status] = (report.statuses[answer.status] ?? 0) + 1;
        opts.learn?.(input, answer);
        const failure = check(input, answer);
        if (failure) fail(failure, input, answer);
      } catch (err) {
        if (gen !== generation) continue; // a casualty of a crash already handled (and replayed)
        if (recovering) await recovering;
        else if (await answering()) fail(`no answer (${(err as Error).message})`, input);
        else {
          recovering ??= (async () => {
            const suspects = [...new Set([...inFlight, ...recent.slice().reverse()])];
            await recover(suspects);
            if (report.crashes.length >= (opts.maxCrashes ?? 4)) {
              stopped = true;
              report.crashes.push(`run stopped after ${report.crashes.length} crashes`);
            }
          })().finally(() => (recovering = undefined));
          await recovering;
        }
      } finally {
        inFlight.delete(input);
        recent.push(input);
        if (recent.length > 32) recent.shift();
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  agent.destroy();
  unwatch();

  for (const [key, c] of [...classes].sort((a, b) => b[1].count - a[1].count)) {
    report.failures.push(
      `${key} ×${c.count} [${[...c.kinds].join(', ')}] on ${[...c.labels].slice(0, 6).join(', ')}\n` +
        c.examples.map((e) => `    e.g. ${e}`).join('\n'),
    );
  }
  for (const { count, text } of alarms.values()) report.failures.push(`stderr ×${count}: ${text}`);
  return report;
}
