/**
 * Generated A2A requests for the fuzz tests: both bindings (JSON-RPC at `POST /a2a/<name>`,
 * HTTP+JSON under `/a2a/<name>/rest/…`) and both protocol versions (v1.0, v0.3 with its `/v1/…`
 * routes), shaped after the SDK's wire types (@a2a-js/sdk: SendMessageRequest, Part, Task…), then
 * mutated: wrong types, missing fields, huge and odd strings, 1,000–100,000 levels of nesting in
 * parts and metadata, truncated and non-UTF-8 bodies, wrong content types and versions, odd
 * methods, and paths with broken percent escapes.
 *
 * Each agent is asked for real work it can do, so valid inputs reach the agent: the test A2A agent
 * (a2a-agent.ts) by the first word of its text, MCP servers and groups served as agents by a
 * `{tool, arguments}` data part naming one of the fixture's well-behaved tools.
 *
 * Seeded; task ids seen in answers are reused for later requests (GetTask, CancelTask, push
 * configs…), so with 8 workers the exact sequence is not reproducible, but every failure is
 * reported with its input.
 *
 * Nothing generated reaches beyond loopback: push-notification and file URLs point at
 * 127.0.0.1 port 1 (closed), and `assertLoopbackOnly` checks every body before it is sent.
 */
import {
  anyValue,
  badUtf8,
  BAD_ESCAPES,
  deepLevels,
  deepMark,
  deepShape,
  encode,
  mutateValue,
  oddString,
  segment,
  toJson,
  truncate,
  undecodable,
  type DeepShape,
  type Gen,
} from './fuzz.js';
import type { Answer, HttpInput } from './http-fuzz.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface FuzzAgent {
  name: string;
  kind: 'proxy' | 'mcp' | 'group';
}

type Version = '1.0' | '0.3';
type Binding = 'JSONRPC' | 'HTTP+JSON';

/** Where and how deep a message's nesting goes. */
interface Deep {
  levels: number;
  shape: DeepShape;
  where: 'tool' | 'data' | 'part-metadata' | 'message-metadata' | 'request-metadata';
  stream: boolean;
}

/** A push-notification or file URL: loopback, a port nothing listens on. */
const HOOK = 'http://127.0.0.1:1/hook';

/** Texts the test agent acts on; `slow` stays short (a blocking send waits for it). */
const AGENT_TEXTS = ['echo hi', 'echo fuzz', 'hello', 'ask', 'fail', 'slow 1', 'slow 2', 'what can you do?'];

/** The fixture's tools that answer promptly and do not exit, hang or ask back. */
function toolCall(g: Gen): Json {
  switch (g.int(6)) {
    case 0:
      return { tool: 'fixture.add', arguments: { a: g.int(100), b: g.int(100) } };
    case 1:
      return { tool: 'fixture.whoami', arguments: {} };
    case 2:
      return { tool: 'fixture.error', arguments: {} };
    case 3:
      return { tool: 'fixture.slow', arguments: { ms: g.int(100), steps: g.int(3) } };
    case 4:
      return { tool: g.pick(['fixture.nope', 'nope', '']), arguments: {} };
    default:
      return { tool: 'fixture.echo', arguments: { text: g.pick(['hi', 'fuzz', '🙂']) } };
  }
}

/** Tools whose names a mutation must never produce: they exit, hang, or wait for a client. */
const UNSAFE_TOOLS = /fixture[._-](crash|hang|elicit|roots|sample|add-tool)/;

/** Every URL in a body must be a loopback one: fuzzing never makes the gateway call out. */
export function assertLoopbackOnly(body: string | Buffer | undefined): void {
  if (body === undefined) return;
  const text = typeof body === 'string' ? body : body.toString('latin1');
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    const host = /^[^/"\s\\?#]*/.exec(text.slice(at + 3, at + 300))![0];
    if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d*)?$/.test(host))
      throw new Error(`fuzz input would reach beyond loopback: ${text.slice(Math.max(0, at - 10), at + 40)}`);
  }
  if (UNSAFE_TOOLS.test(text)) throw new Error('fuzz input names an unsafe fixture tool');
}

export class A2aFuzz {
  /** Task ids per agent: seeded ones, then ones seen in answers (bounded). */
  private readonly tasks = new Map<string, string[]>();
  private readonly contexts: string[] = [];
  private n = 0;
  private deep = 0;

  constructor(
    private readonly g: Gen,
    private readonly agents: readonly FuzzAgent[],
    tasks: Record<string, string[]> = {},
  ) {
    for (const a of agents) this.tasks.set(a.name, [...(tasks[a.name] ?? [])]);
  }

  /** Remember task and context ids from an answer, for later requests to the same agent. */
  learn(input: HttpInput, answer: Answer): void {
    const agent = /^\/a2a\/([^/?]+)/.exec(input.path)?.[1];
    const pool = agent && this.tasks.get(agent);
    if (!pool || answer.status >= 300) return;
    const head = answer.body.slice(0, 4000);
    const task = /"(?:id|taskId)"\s*:\s*"([0-9a-f-]{36})"/.exec(head)?.[1];
    if (task && !pool.includes(task)) {
      pool.push(task);
      if (pool.length > 64) pool.splice(8, 1); // keep the seeded ones
    }
    const context = /"contextId"\s*:\s*"([^"]{1,64})"/.exec(head)?.[1];
    if (context && !this.contexts.includes(context)) {
      this.contexts.push(context);
      if (this.contexts.length > 32) this.contexts.shift();
    }
  }

  private taskId(agent: FuzzAgent): string {
    const pool = this.tasks.get(agent.name) ?? [];
    const r = this.g.rand();
    if (pool.length && r < 0.75) return this.g.pick(pool);
    if (r < 0.9) return `no-such-task-${this.g.int(1000)}`;
    return oddString(this.g);
  }

  private contextId(): string {
    return this.contexts.length && this.g.rand() < 0.7 ? this.g.pick(this.contexts) : `ctx-${this.g.int(50)}`;
  }

  // ---- valid-shaped bodies ------------------------------------------------------------------------

  private partV1(agent: FuzzAgent): Json {
    const g = this.g;
    const r = g.rand();
    const meta = g.rand() < 0.1 ? { metadata: { note: 'fuzz' } } : {};
    if (agent.kind !== 'proxy' && r < 0.7)
      return { data: toolCall(g), mediaType: 'application/json', ...meta };
    if (r < 0.8) return { text: g.pick(AGENT_TEXTS), ...meta };
    if (r < 0.88) return { data: anyValue(g), ...meta };
    if (r < 0.94) return { raw: 'aGVsbG8=', mediaType: 'text/plain', filename: 'hello.txt', ...meta };
    return { url: `${HOOK}/file.txt`, mediaType: 'text/plain', ...meta };
  }

  private partV03(agent: FuzzAgent): Json {
    const g = this.g;
    const r = g.rand();
    if (agent.kind !== 'proxy' && r < 0.7) return { kind: 'data', data: toolCall(g) };
    if (r < 0.85) return { kind: 'text', text: g.pick(AGENT_TEXTS) };
    if (r < 0.92) return { kind: 'data', data: anyValue(g) };
    return {
      kind: 'file',
      file:
        g.rand() < 0.5
          ? { bytes: 'aGVsbG8=', mimeType: 'text/plain', name: 'hello.txt' }
          : { uri: `${HOOK}/file.txt`, mimeType: 'text/plain' },
    };
  }

  /** The part as the v0.3 HTTP+JSON binding encodes it (the v0.3 protobuf JSON). */
  private partV03Rest(agent: FuzzAgent): Json {
    const p = this.partV03(agent);
    if (p.kind === 'text') return { text: p.text };
    if (p.kind === 'data') return { data: { data: p.data } };
    return { file: { fileWithUri: `${HOOK}/file.txt`, mimeType: 'text/plain' } };
  }

  private message(agent: FuzzAgent, v: Version, rest: boolean, plain = false): Json {
    const g = this.g;
    const parts = Array.from({ length: g.rand() < 0.9 ? 1 : 1 + g.int(3) }, () =>
      v === '1.0' ? this.partV1(agent) : rest ? this.partV03Rest(agent) : this.partV03(agent),
    );
    const m: Json = { messageId: `m-${++this.n}` };
    if (v === '1.0') Object.assign(m, { role: 'ROLE_USER', parts });
    else if (rest) Object.assign(m, { role: 'ROLE_USER', content: parts });
    else Object.assign(m, { kind: 'message', role: 'user', parts });
    if (plain) return m;
    const r = g.rand();
    if (r < 0.1) m.taskId = this.taskId(agent);
    else if (r < 0.2) m.contextId = this.contextId();
    if (g.rand() < 0.1) m.metadata = { skill: g.pick(['book-flight', 'fixture.echo', 'nope']) };
    if (v === '1.0' && g.rand() < 0.05) m.referenceTaskIds = [this.taskId(agent)];
    if (g.rand() < 0.03) m.extensions = ['https://127.0.0.1:1/ext'];
    return m;
  }

  private sendParams(agent: FuzzAgent, v: Version, rest = false): Json {
    const g = this.g;
    const params: Json = { message: this.message(agent, v, rest) };
    if (g.rand() < 0.5) {
      const c: Json = { acceptedOutputModes: g.pick([['text/plain'], [], ['application/json', '*/*']]) };
      if (g.rand() < 0.3) c.historyLength = g.int(5);
      if (v === '1.0') c.returnImmediately = g.rand() < 0.3;
      else c.blocking = g.rand() < 0.7;
      if (g.rand() < 0.1) {
        const push = { url: HOOK, token: 'tok' };
        if (v === '1.0') c.taskPushNotificationConfig = push;
        else c[rest ? 'pushNotification' : 'pushNotificationConfig'] = push;
      }
      params.configuration = c;
    }
    if (g.rand() < 0.05) params.metadata = { origin: 'fuzz' };
    return params;
  }

  private pushConfig(v: Version, taskId: string): Json {
    const g = this.g;
    const cfg: Json = { url: HOOK, token: g.pick(['tok', '', 'x'.repeat(100)]) };
    if (g.rand() < 0.5) cfg.id = `cfg-${g.int(5)}`;
    if (g.rand() < 0.2)
      cfg.authentication =
        v === '1.0' ? { scheme: 'Bearer', credentials: 'c' } : { schemes: ['Bearer'], credentials: 'c' };
    return v === '1.0' ? { taskId, ...cfg } : { taskId, pushNotificationConfig: cfg };
  }

  /** A valid-shaped JSON-RPC request: [method, params]. */
  private rpc(agent: FuzzAgent, v: Version): [string, Json] {
    const g = this.g;
    const id = this.taskId(agent);
    const cfgId = `cfg-${g.int(5)}`;
    const r = g.int(100);
    if (v === '1.0') {
      if (r < 40)
        return [g.rand() < 0.95 ? 'SendMessage' : 'SendStreamingMessage', this.sendParams(agent, v)];
      if (r < 52) return ['GetTask', { id, ...(g.rand() < 0.3 ? { historyLength: g.int(4) } : {}) }];
      if (r < 60)
        return [
          'ListTasks',
          {
            ...(g.rand() < 0.5 ? { contextId: this.contextId() } : {}),
            ...(g.rand() < 0.3 ? { status: g.pick(['TASK_STATE_COMPLETED', 'TASK_STATE_WORKING']) } : {}),
            ...(g.rand() < 0.5 ? { pageSize: 1 + g.int(100) } : {}),
            ...(g.rand() < 0.2 ? { pageToken: g.pick(['', 'bogus', 'eyJvIjoxfQ']) } : {}),
            ...(g.rand() < 0.2 ? { includeArtifacts: true, historyLength: g.int(3) } : {}),
            ...(g.rand() < 0.1 ? { statusTimestampAfter: '2020-01-01T00:00:00Z' } : {}),
          },
        ];
      if (r < 68) return ['CancelTask', { id }];
      if (r < 72) return ['SubscribeToTask', { id }];
      if (r < 80) return ['CreateTaskPushNotificationConfig', this.pushConfig(v, id)];
      if (r < 85) return ['GetTaskPushNotificationConfig', { taskId: id, id: cfgId }];
      if (r < 90) return ['ListTaskPushNotificationConfigs', { taskId: id, pageSize: 1 + g.int(10) }];
      if (r < 95) return ['DeleteTaskPushNotificationConfig', { taskId: id, id: cfgId }];
      return ['GetExtendedAgentCard', {}];
    }
    if (r < 40) return [g.rand() < 0.95 ? 'message/send' : 'message/stream', this.sendParams(agent, v)];
    if (r < 55) return ['tasks/get', { id, ...(g.rand() < 0.3 ? { historyLength: g.int(4) } : {}) }];
    if (r < 65) return ['tasks/cancel', { id }];
    if (r < 70) return ['tasks/resubscribe', { id }];
    if (r < 80) return ['tasks/pushNotificationConfig/set', this.pushConfig(v, id)];
    if (r < 85) return ['tasks/pushNotificationConfig/get', { id, pushNotificationConfigId: cfgId }];
    if (r < 90) return ['tasks/pushNotificationConfig/list', { id }];
    if (r < 95) return ['tasks/pushNotificationConfig/delete', { id, pushNotificationConfigId: cfgId }];
    return ['agent/getAuthenticatedExtendedCard', {}];
  }

  /** A valid-shaped REST request: [method, path under /rest, body?]. */
  private restRequest(agent: FuzzAgent, v: Version): [string, string, Json | undefined] {
    const g = this.g;
    const id = encode(this.taskId(agent).slice(0, 2000)); // (a longer URL is refused by Node itself)
    const cfgId = `cfg-${g.int(5)}`;
    const r = g.int(100);
    const pre = v === '1.0' ? (g.rand() < 0.05 ? `/${g.pick(['t1', 'tenant'])}` : '') : '/v1';
    if (r < 40) {
      const stream = g.rand() < 0.05;
      return ['POST', `${pre}/message:${stream ? 'stream' : 'send'}`, this.sendParams(agent, v, true)];
    }
    if (r < 52)
      return ['GET', `${pre}/tasks/${id}${g.rand() < 0.3 ? `?historyLength=${g.int(4)}` : ''}`, undefined];
    if (r < 58 && v === '1.0') {
      const q = new URLSearchParams();
      if (g.rand() < 0.5) q.set('contextId', this.contextId());
      if (g.rand() < 0.3) q.set('status', g.pick(['TASK_STATE_COMPLETED', 'TASK_STATE_WORKING', 'bogus']));
      if (g.rand() < 0.5) q.set('pageSize', String(g.pick([1, 5, 100, 0, -1, 1e9])));
      if (g.rand() < 0.2) q.set('pageToken', g.pick(['', 'bogus', 'eyJvIjoxfQ']));
      if (g.rand() < 0.2) q.set('includeArtifacts', g.pick(['true', 'false', 'maybe']));
      if (g.rand() < 0.1) q.set('statusTimestampAfter', g.pick(['2020-01-01T00:00:00Z', 'yesterday']));
      return ['GET', `${pre}/tasks${q.size ? `?${q}` : ''}`, undefined];
    }
    if (r < 66) return ['POST', `${pre}/tasks/${id}:cancel`, g.rand() < 0.5 ? {} : undefined];
    if (r < 70) return [g.pick(['GET', 'POST']), `${pre}/tasks/${id}:subscribe`, undefined];
    if (r < 78) {
      const body =
        v === '1.0'
          ? { id: cfgId, url: HOOK, token: 'tok' }
          : {
              name: `tasks/${id}/pushNotificationConfigs/${cfgId}`,
              pushNotificationConfig: { id: cfgId, url: HOOK },
            };
      return ['POST', `${pre}/tasks/${id}/pushNotificationConfigs`, body];
    }
    if (r < 84) return ['GET', `${pre}/tasks/${id}/pushNotificationConfigs/${cfgId}`, undefined];
    if (r < 89) return ['GET', `${pre}/tasks/${id}/pushNotificationConfigs`, undefined];
    if (r < 94) return ['DELETE', `${pre}/tasks/${id}/pushNotificationConfigs/${cfgId}`, undefined];
    return ['GET', v === '1.0' ? `${pre}/extendedAgentCard` : '/v1/card', undefined];
  }

  // ---- the inputs -------------------------------------------------------------------------------

  private versionHeaders(v: Version): Record<string, string> {
    const g = this.g;
    if (v === '1.0') return { 'a2a-version': '1.0' };
    return g.rand() < 0.5 ? {} : { 'a2a-version': '0.3' }; // no header: v0.3
  }

  private pickAgent(): FuzzAgent {
    return this.g.pick(this.agents);
  }

  /**
   * A message, sent or streamed, with 1,000–100,000 levels of nesting in one place: a tool's
   * arguments (agents that run tools), a data part, a part's or the message's metadata, or the
   * request's metadata. A stream's records take other paths than a send's, so both are used.
   */
  private deepInput(binding: Binding, agent: FuzzAgent, v: Version, d: Deep, plain = false): HttpInput {
    const mark = deepMark(d.levels, d.shape);
    const rest = binding === 'HTTP+JSON';
    // plain: a new task's first message, nothing else that could refuse it first
    const params = plain ? { message: this.message(agent, v, rest, true) } : this.sendParams(agent, v, rest);
    const m = params.message as Json;
    const parts = (m.parts ?? m.content) as Json[];
    if (d.where === 'tool' || d.where === 'data') {
      const data = d.where === 'tool' ? { tool: 'fixture.echo', arguments: { text: mark } } : { deep: mark };
      if (v === '1.0') parts[0] = { data: d.where === 'data' ? mark : data };
      else if (!rest) parts[0] = { kind: 'data', data };
      else parts[0] = { data: { data } };
    } else if (d.where === 'part-metadata') parts[0] = { ...parts[0], metadata: { deep: mark } };
    else if (d.where === 'message-metadata') m.metadata = { deep: mark };
    else params.metadata = { deep: mark };
    assertLoopbackOnly(JSON.stringify(params)); // (the nesting is spliced in later, as text)
    const headers = { 'content-type': 'application/json', ...(v === '1.0' ? { 'a2a-version': '1.0' } : {}) };
    if (rest) {
      const route = `${v === '1.0' ? '' : '/v1'}/message:${d.stream ? 'stream' : 'send'}`;
      return {
        method: 'POST',
        path: `/a2a/${agent.name}/rest${route}`,
        headers,
        body: toJson(params),
        kind: 'deep',
        label: `${agent.name} HTTP+JSON ${v} POST ${route} (${d.where})`,
      };
    }
    const method =
      v === '1.0'
        ? d.stream
          ? 'SendStreamingMessage'
          : 'SendMessage'
        : d.stream
          ? 'message/stream'
          : 'message/send';
    return {
      method: 'POST',
      path: `/a2a/${agent.name}`,
      headers,
      body: toJson({ jsonrpc: '2.0', id: ++this.n, method, params }),
      kind: 'deep',
      label: `${agent.name} JSONRPC ${v} ${method} (${d.where})`,
    };
  }

  private randomDeep(agent: FuzzAgent): Deep {
    const g = this.g;
    const r = g.rand();
    const tool = agent.kind !== 'proxy' ? r < 0.6 : false;
    return {
      levels: deepLevels(g, this.deep++),
      shape: deepShape(g),
      where: tool
        ? 'tool'
        : g.pick(['data', 'data', 'part-metadata', 'message-metadata', 'request-metadata'] as const),
      stream: g.rand() < 0.5,
    };
  }

  /**
   * The deep-nesting sweep, to run first on a freshly started gateway: 64 bands of depth from
   * 100,000 levels down to 1,000, each with the same seven variants (agents, bindings' versions,
   * shapes, places). Descending, and on a fresh process, because a crash can hide in a narrow
   * band where some recursive steps cope and a later one does not — and once shallower values
   * have gone all the way through, the engine has optimised the recursive code (smaller stack
   * frames) and the band is gone until the next restart.
   */
  *deepSweep(binding: Binding): Generator<HttpInput> {
    const find = (kind: FuzzAgent['kind']) => this.agents.find((a) => a.kind === kind) ?? this.agents[0]!;
    const [mcp, group, proxy] = [find('mcp'), find('group'), find('proxy')];
    const variants: [FuzzAgent, Version, Omit<Deep, 'levels'>][] = [
      [mcp, '1.0', { where: 'tool', shape: 'array', stream: false }],
      [group, '0.3', { where: 'tool', shape: 'array', stream: true }],
      [mcp, '0.3', { where: 'tool', shape: 'object', stream: false }],
      [proxy, '1.0', { where: 'data', shape: 'array', stream: true }],
      [group, '1.0', { where: 'part-metadata', shape: 'mixed', stream: false }],
      [proxy, '0.3', { where: 'message-metadata', shape: 'array', stream: false }],
      [mcp, '1.0', { where: 'request-metadata', shape: 'object', stream: true }],
    ];
    for (let cell = 63; cell >= 0; cell--)
      for (const [agent, v, d] of variants) {
        const levels = Math.round(1000 * Math.pow(100, (cell + this.g.rand()) / 64));
        const input = this.deepInput(binding, agent, v, { ...d, levels }, true);
        input.kind = 'deep-sweep';
        yield input;
      }
  }

  /** One JSON-RPC request at an agent (`POST /a2a/<name>`), valid or mutated. */
  jsonRpc(): HttpInput {
    const g = this.g;
    const agent = this.pickAgent();
    const v: Version = g.rand() < 0.5 ? '1.0' : '0.3';
    const [method, params] = this.rpc(agent, v);
    const envelope: Json = {
      jsonrpc: '2.0',
      id: g.rand() < 0.9 ? ++this.n : `r-${++this.n}`,
      method,
      params,
    };
    const input: HttpInput = {
      method: 'POST',
      path: `/a2a/${agent.name}`,
      headers: { 'content-type': 'application/json', ...this.versionHeaders(v) },
      kind: 'valid',
      label: `${agent.name} JSONRPC ${v} ${method}`,
    };
    const r = g.rand();
    if (r < 0.015) {
      return this.deepInput('JSONRPC', agent, v, this.randomDeep(agent));
    } else if (r < 0.45) {
      // valid
    } else if (r < 0.72) input.kind = mutateValue(g, envelope);
    else if (r < 0.78) {
      input.kind = 'envelope';
      const e = g.int(6);
      if (e === 0) delete envelope.jsonrpc;
      else if (e === 1) envelope.id = g.pick([{}, [], true, 1.5, null, 'x'.repeat(2000)]);
      else if (e === 2)
        envelope.method = g.pick([42, null, '', method.toLowerCase(), `${method} `, 'tasks/list']);
      else if (e === 3) envelope.params = g.pick([[], 'params', 7, null]);
      else if (e === 4) delete envelope.params;
      else {
        input.body = toJson(g.rand() < 0.5 ? [envelope, envelope] : anyValue(g));
        input.kind = 'not-a-request';
      }
    } else if (r < 0.86) {
      input.kind = 'truncated';
      const full = toJson(envelope);
      assertLoopbackOnly(full); // (a cut URL would not pass the check, nor reach anything)
      input.body = truncate(g, full);
    } else if (r < 0.89) {
      input.kind = 'bad-utf8';
      input.body = badUtf8(g, toJson(envelope));
    } else if (r < 0.93) this.transportMutation(input);
    else this.pathMutation(input, agent, '');
    input.body ??= toJson(envelope);
    if (input.kind !== 'truncated') assertLoopbackOnly(input.body);
    return input;
  }

  /** One HTTP+JSON request at an agent (`/a2a/<name>/rest/…`), valid or mutated. */
  rest(): HttpInput {
    const g = this.g;
    const agent = this.pickAgent();
    const v: Version = g.rand() < 0.5 ? '1.0' : '0.3';
    const [method, route, body] = this.restRequest(agent, v);
    const input: HttpInput = {
      method,
      path: `/a2a/${agent.name}/rest${route}`,
      headers: {
        ...(body !== undefined
          ? { 'content-type': v === '1.0' && g.rand() < 0.3 ? 'application/a2a+json' : 'application/json' }
          : {}),
        ...this.versionHeaders(v),
      },
      kind: 'valid',
      label: `${agent.name} HTTP+JSON ${v} ${method} ${route.replace(/\/tasks\/[^/:?]+/, '/tasks/{id}').split('?')[0]}`,
    };
    const r = g.rand();
    if (r < 0.015) {
      return this.deepInput('HTTP+JSON', agent, v, this.randomDeep(agent));
    } else if (r < 0.45) {
      // valid
    } else if (!body) {
      if (g.rand() < 0.5) this.transportMutation(input);
      else this.pathMutation(input, agent, route);
    } else if (r < 0.72) input.kind = mutateValue(g, body);
    else if (r < 0.75) {
      input.kind = 'not-an-object';
      input.body = toJson(anyValue(g));
    } else if (r < 0.83) {
      input.kind = 'truncated';
      const full = toJson(body);
      assertLoopbackOnly(full);
      input.body = truncate(g, full);
    } else if (r < 0.86) {
      input.kind = 'bad-utf8';
      input.body = badUtf8(g, toJson(body));
    } else if (r < 0.92) this.transportMutation(input);
    else this.pathMutation(input, agent, route);
    if (input.body === undefined && body !== undefined) input.body = toJson(body);
    if (input.kind !== 'truncated') assertLoopbackOnly(input.body);
    return input;
  }

  /** Wrong content type, version, extension header, credentials or HTTP method. */
  private transportMutation(input: HttpInput): void {
    const g = this.g;
    const h = (input.headers ??= {});
    switch (g.int(5)) {
      case 0:
        input.kind = 'content-type';
        if (g.rand() < 0.2) delete h['content-type'];
        else
          h['content-type'] = g.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
            'application/jsonx',
            'application/a2a+json',
            'APPLICATION/JSON',
            '',
          ]);
        break;
      case 1:
        input.kind = 'version';
        h['a2a-version'] = g.pick([
          '1',
          '0.3.0',
          '1.0.0',
          '9.9',
          '0.2',
          '2.0',
          '1.0.1',
          '0.3.5',
          ' 1.0',
          'latest',
          '',
          '1.0,0.3',
          'v\u00e91',
        ]);
        break;
      case 2:
        input.kind = 'header';
        h[g.pick(['a2a-extensions', 'x-a2a-extensions'])] = g.pick([
          'https://127.0.0.1:1/ext',
          ',,,',
          'a'.repeat(8000),
          'urn:x, urn:y',
        ]);
        break;
      case 3:
        input.kind = 'credentials';
        h.authorization = g.pick([
          'Bearer',
          'Bearer ',
          'Bearer nope',
          'Basic Zm9vOmJhcg==',
          'swy_x',
          'Bearer swy_0_x',
        ]);
        break;
      default:
        input.kind = 'http-method';
        input.method = g.pick(['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE']);
        if (input.method === 'GET' || input.method === 'HEAD' || input.method === 'TRACE') delete input.body;
    }
  }

  /** Another agent name, a broken percent escape, odd segments, a card or directory path. */
  private pathMutation(input: HttpInput, agent: FuzzAgent, route: string): void {
    const g = this.g;
    const names = [...this.agents.map((a) => a.name), 'nope', 'TRAVEL', 'agent', 'a2a', '..'];
    const name = segment(g, names);
    input.kind = 'path';
    switch (g.int(6)) {
      case 0:
        input.path = `/a2a/${name}${route ? `/rest${route}` : ''}`;
        break;
      case 1:
        input.path = `/a2a/${agent.name}/rest/tasks/${segment(g, ['x', 'no-such-task'])}${g.pick(['', ':cancel', ':subscribe', '/pushNotificationConfigs'])}`;
        break;
      case 2:
        input.path = `/a2a/${g.pick(BAD_ESCAPES)}/`;
        break;
      case 3:
        input.method = 'GET';
        delete input.body;
        input.path = g.pick([
          `/a2a/${name}/.well-known/agent-card.json`,
          `/a2a?q=${segment(g, ['travel', 'echo', ''])}&tag=${segment(g, ['mcp', 'proxy'])}`,
          `/.well-known/agent-card.json?x=${segment(g, ['1'])}`,
          `/a2a/${agent.name}/.well-known/agent-card.json`,
        ]);
        break;
      case 4:
        input.path = g.pick([
          `/a2a/${agent.name}/`,
          `/a2a//${agent.name}`,
          `/a2a/${agent.name}/rest`,
          `/a2a/${agent.name}/rest/`,
          `/a2a/${agent.name}/rest/v1`,
          `/a2a/${agent.name}/rest/../../admin/upstreams`,
          `/a2a/${agent.name}/jsonrpc`,
          `/a2a/${agent.name}/rest/message:send?tenant=${segment(g, ['t'])}`,
          `/a2a/${agent.name}/rest/${segment(g, ['t1'])}/message:send`,
          `/a2a/${agent.name}?${segment(g, ['x=1'])}`,
        ]);
        break;
      default:
        input.path = `/a2a/${encode(oddString(g).slice(0, 3000))}`;
    }
    if (undecodable(input.path)) input.kind = 'bad-escape';
    input.label = `${input.label} (path)`;
  }
}
