/**
 * In-process fakes for unit tests of the gateway's core: an upstream (`Backend`) with the lists
 * it is given and a scripted `call`, and the `Core` the pipeline runs against, with every
 * finished request record kept for the test to read. Real pieces are used where they are plain
 * data (config, route table, task directory, in-flight calls, schemas, rate limits); policy, pinning and the
 * ledger are fakes the test steers.
 */
import type { Config } from '../../src/config/schema.js';
import { validateConfig } from '../../src/config/load.js';
import type { Core } from '../../src/gateway/pipeline.js';
import type { RequestRecord } from '../../src/gateway/request-record.js';
import type { LedgerInput } from '../../src/ledger/entry.js';
import { InFlightCalls } from '../../src/mcp/federation/in-flight.js';
import { buildRouteTable } from '../../src/mcp/federation/route-table.js';
import type { LocalHandlers } from '../../src/mcp/federation/local.js';
import { TaskDirectory } from '../../src/mcp/federation/tasks.js';
import type { JsonObject } from '../../src/mcp/jsonrpc.js';
import { Session } from '../../src/mcp/session.js';
import type { SessionRegistry } from '../../src/mcp/sessions.js';
import {
  EMPTY_LISTS,
  type Backend,
  type BackendCallOptions,
  type UpstreamLists,
  type UpstreamState,
} from '../../src/mcp/upstream/backend.js';
import type { CallOutcome } from '../../src/mcp/upstream/forwarder.js';
import type { Authorizer } from '../../src/policy/authz.js';
import { RateLimiter } from '../../src/policy/limits.js';
import type { PinRegistry } from '../../src/policy/pinning.js';
import type { Principal } from '../../src/policy/principal.js';
import type { Decision, PolicyTarget } from '../../src/policy/rules.js';
import { ToolSchemas } from '../../src/policy/validation.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import type { Metrics } from '../../src/telemetry/metrics.js';

export interface FakeBackend extends Backend {
  state: UpstreamState;
  lists: UpstreamLists;
  lastKnownLists: UpstreamLists;
  /** Every call it received, in order. */
  readonly calls: { method: string; params: JsonObject | undefined; opts: BackendCallOptions }[];
  /** What a call does (default: answers `{ content: [] }`). */
  answer: (method: string, params: JsonObject | undefined, opts: BackendCallOptions) => Promise<CallOutcome>;
}

/** An upstream named `name` offering `lists` (ready unless `state` says otherwise). */
export function fakeBackend(
  name: string,
  lists: Partial<UpstreamLists> = {},
  opts: { state?: UpstreamState; resources?: boolean } = {},
): FakeBackend {
  const full = { ...EMPTY_LISTS, ...lists };
  const b: FakeBackend = {
    kind: 'mcp',
    name,
    origin: 'config',
    spec: { name, prefix: 'always' },
    state: opts.state ?? 'ready',
    lastError: undefined,
    lists: (opts.state ?? 'ready') === 'ready' ? full : EMPTY_LISTS,
    lastKnownLists: full,
    info: {
      serverInfo: { name, version: '1' },
      capabilities: opts.resources === false ? {} : { tools: {}, prompts: {}, resources: {} },
    },
    inFlight: 0,
    firstAttempt: Promise.resolve(),
    start: async () => {},
    stop: async () => {},
    notify: async () => {},
    calls: [],
    answer: async () => ({ result: { content: [] } }),
    call(method, params, callOpts) {
      b.calls.push({ method, params, opts: callOpts });
      return b.answer(method, params, callOpts);
    },
  };
  return b;
}

/** A tool definition as an upstream lists it. */
export const tool = (name: string, inputSchema: JsonObject = { type: 'object' }): JsonObject => ({
  name,
  description: `the ${name} tool`,
  inputSchema,
});

export const ALICE: Principal = { name: 'alice', groups: ['staff'], via: 'api-key' };

export interface FakeCore extends Core {
  /** Every request record the pipeline finished, in order. */
  readonly records: RequestRecord[];
  /** What went to the ledger, in order. */
  readonly ledgerEntries: LedgerInput[];
  /** Targets policy denies, by kind and name ("tool:local.echo"). */
  readonly denied: Set<string>;
  /** Tools quarantined by pinning ("upstream/tool"). */
  readonly quarantined: Set<string>;
  draining: boolean;
  upstreams: Backend[];
}

/** The pipeline's Core over `upstreams`, with config `overrides` validated like a config file. */
export function fakeCore(upstreams: Backend[], overrides: JsonObject = {}): FakeCore {
  const config: Config = validateConfig({ store: 'sqlite::memory:', ...overrides });
  const records: RequestRecord[] = [];
  const ledgerEntries: LedgerInput[] = [];
  const denied = new Set<string>();
  const quarantined = new Set<string>();
  const denials: string[] = [];
  const metrics = {
    record: (r: RequestRecord) => void records.push(r),
    policyDenials: { labels: (kind: string) => ({ inc: () => void denials.push(kind) }) },
  } as unknown as Metrics;
  const authz = {
    decide: (_p: Principal, t: PolicyTarget): Decision =>
      denied.has(`${t.kind}:${t.name}`)
        ? { effect: 'deny', rule: `policies[0] (${t.kind} ${t.name})` }
        : { effect: 'allow', rule: 'policies[1]' },
    rejectedNames: () => new Map<string, string>(),
  } as unknown as Authorizer;
  const pins = {
    hashOf: (u: string, t: string) => `sha256:${u}/${t}`,
    isQuarantined: (u: string, t: string) => quarantined.has(`${u}/${t}`),
  } as unknown as PinRegistry;
  const local = {
    handle: async (method: string) => ({ answeredLocally: method }),
    rootsChanged: () => {},
  } as unknown as LocalHandlers;
  let routesOf: { upstreams: Backend[]; routes: ReturnType<typeof buildRouteTable> } | undefined;
  const core: FakeCore = {
    records,
    ledgerEntries,
    denied,
    quarantined,
    draining: false,
    upstreams,
    config,
    sessions: {} as SessionRegistry,
    local,
    inFlightCalls: new InFlightCalls(),
    tasks: new TaskDirectory(),
    metrics,
    log: silentLogger(),
    auth: {} as Core['auth'],
    authz,
    pins,
    limits: new RateLimiter(() => config),
    tracing: undefined,
    schemas: new ToolSchemas(silentLogger()),
    ledger: {
      accepting: true,
      append: (e: LedgerInput) => (ledgerEntries.push(e), true),
    },
    routes() {
      if (routesOf?.upstreams !== core.upstreams)
        routesOf = {
          upstreams: core.upstreams,
          routes: buildRouteTable(core.upstreams, config.naming.separator),
        };
      return routesOf.routes;
    },
    capabilities: () => ({ tools: { listChanged: true } }),
    instructions: () => undefined,
  };
  return core;
}

/** A live HTTP-transport session for `principal`. */
export function fakeSession(principal: Principal = ALICE, protocolVersion = '2025-11-25'): Session {
  return new Session({
    id: `session-${principal.name}`,
    transport: 'http',
    protocolVersion,
    clientInfo: { name: 'test', version: '1' },
    clientCapabilities: {},
    principal: principal.name,
    identity: principal,
  });
}
