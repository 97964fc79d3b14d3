/**
 * The gateway: composes the store, the upstreams, the federated catalog, the sessions, the
 * pipeline and the fronts, and runs their lifecycle (start, hot reload, graceful stop).
 *
 * Config is a frozen snapshot; a reload swaps it whole and reconciles the upstreams against it:
 * unchanged ones keep running, changed ones are replaced (the new connection is started before the
 * old one is drained, so calls in flight finish on the connection they started on).
 */
import type { Server } from 'node:http';
import { A2A_AGENTS_RESOURCE, A2aFront } from '../a2a/front.js';
import { TaskOwnership } from '../a2a/ownership.js';
import { A2aUpstream } from '../a2a/upstream.js';
import { AgentsBackend } from '../agents/backend.js';
import { AgentRuntime } from '../agents/runtime.js';
import type { Backend } from '../mcp/upstream/backend.js';
import {
  Catalog as ArtifactCatalog,
  GATEWAY_RESOURCES,
  describeFinding,
  readGatewayResource,
  agentConsumer,
  upstreamConsumer,
  type BomSource,
  type CatalogView,
  type ConsumerVerdict,
} from '../catalog/index.js';
import {
  isA2a,
  PolicySchema,
  type PolicyConfig,
  type AgentConfig,
  type AnyUpstreamConfig,
  type CatalogEntry,
  type Config,
  type UpstreamConfig,
} from '../config/schema.js';
import { ConfigError, formatPath, validateUpstream } from '../config/load.js';
import { Affinity, type Caller } from '../mcp/federation/affinity.js';
import { buildCatalog, type Catalog } from '../mcp/federation/catalog.js';
import { LocalHandlers } from '../mcp/federation/local.js';
import { TaskDirectory } from '../mcp/federation/tasks.js';
import { EventLog } from '../mcp/front/sse.js';
import type { JsonObject, RpcNotification, RpcRequest } from '../mcp/jsonrpc.js';
import type { Session } from '../mcp/session.js';
import { SessionRegistry } from '../mcp/sessions.js';
import type { CallOutcome } from '../mcp/upstream/forwarder.js';
import { Upstream, type ListKind, type UpstreamHooks } from '../mcp/upstream/upstream.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { Metrics } from '../telemetry/metrics.js';
import { VERSION } from '../version.js';
import { Tracing } from '../telemetry/traces.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { systemResolver, type ResolveHost } from '../policy/egress.js';
import { anchorGaps, resolveAnchor } from '../ledger/anchor.js';
import { LedgerWriter } from '../ledger/writer.js';
import { loadAdminToken, type AdminToken } from '../policy/admin-token.js';
import { Authenticator } from '../policy/authn.js';
import { checkRuntimeUpstream } from '../policy/runtime-upstreams.js';
import { Authorizer } from '../policy/authz.js';
import { RateLimiter } from '../policy/limits.js';
import { PinRegistry } from '../policy/pinning.js';
import { ToolSchemas } from '../policy/validation.js';
import { GatewayError } from './errors.js';
import { Pipeline, withLogger, type Core } from './pipeline.js';

type Relayed = 'tools' | 'prompts' | 'resources';
const RELAYED: Record<ListKind, Relayed> = {
  tools: 'tools',
  prompts: 'prompts',
  resources: 'resources',
  resourceTemplates: 'resources',
};

export interface UpstreamStatus {
  name: string;
  origin: 'config' | 'admin';
  transport: 'stdio' | 'streamable-http' | 'sse' | 'a2a';
  state: string;
  error?: string;
  /** What the server does that the protocol does not expect, and the gateway took anyway. */
  tolerated?: string[];
  server?: JsonObject;
  protocolVersion?: string;
  tools: number;
  prompts: number;
  resources: number;
  resourceTemplates: number;
  inFlight: number;
  /** For A2A upstreams: the agent's card as loaded. */
  agent?: { name: string; cardVersion: '1.0' | '0.3'; signed: boolean };
}

export class GatewayCore implements Core, UpstreamHooks {
  config: Config;
  readonly metrics: Metrics;
  readonly affinity = new Affinity();
  readonly tasks = new TaskDirectory();
  readonly local: LocalHandlers;
  readonly pipeline: Pipeline;
  /** The agents served at /a2a/<name>. */
  readonly a2a: A2aFront;
  /** Declared agents: the runtime, and their MCP tools (`agent.<name>`). */
  readonly agents: AgentRuntime;
  private readonly agentTools: AgentsBackend;
  draining = false;
  store!: Store;
  /** The AI artifact catalog (models, datasets, …) and its license policy. */
  artifacts!: ArtifactCatalog;
  sessions!: SessionRegistry;
  events!: EventLog;
  server?: Server;
  ledger: LedgerWriter | undefined;
  auth!: Authenticator;
  /** Who each task of a proxied A2A agent belongs to. */
  taskOwners!: TaskOwnership;
  /** The admin API's token (configured or generated) and where it is kept. */
  admin: AdminToken = {};
  readonly authz: Authorizer;
  pins!: PinRegistry;
  readonly schemas: ToolSchemas;
  readonly limits: RateLimiter;
  tracing: Tracing | undefined;
  /** Where spans go instead of OTLP (an embedding application, tests). */
  traceExporter?: SpanExporter;
  /** How the host names of push-notification URLs are resolved (an embedding application, tests). */
  resolveHost: ResolveHost = systemResolver;
  /** The tool list each upstream had when its definitions were last checked against the pins. */
  private readonly pinned = new Map<string, readonly JsonObject[]>();
  /** Hooks for the fronts (close a session's streams, …). */
  onSessionClosed?: (s: Session) => void;

  private readonly upstreams = new Map<string, Upstream | A2aUpstream>();
  /** Upstreams the license policy refused: configured, not started. */
  private readonly refused = new Map<
    string,
    { spec: AnyUpstreamConfig; origin: 'config' | 'admin'; verdict: ConsumerVerdict }
  >();
  private catalogCache: Catalog | undefined;
  /** The license verdicts of the declared agents, from the last reconcile. */
  private agentLicenses: { view: CatalogView; verdicts: Map<string, ConsumerVerdict> } | undefined;
  private relayTimer: NodeJS.Timeout | undefined;
  private readonly pendingRelay = new Set<Relayed>();
  private fingerprints: Catalog['fingerprints'] | undefined;
  private reportedCollisions = new Set<string>();
  private pruneTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    config: Config,
    readonly log: Logger,
    metrics?: Metrics,
  ) {
    this.config = config;
    this.metrics = metrics ?? new Metrics();
    this.authz = new Authorizer(() => this.config);
    this.schemas = new ToolSchemas(log);
    this.limits = new RateLimiter(() => this.config);
    this.limits.onLimited = (limit) => this.metrics.rateLimited.labels(limit).inc();
    this.local = new LocalHandlers({
      catalog: () => this.catalog(),
      visible: (principal) => this.authz.visible(this.catalog(), principal),
      mayUse: (principal, uri) =>
        this.authz.decide(principal, { kind: 'resource', name: uri }).effect === 'allow',
      upstreams: () => [...this.upstreams.values()],
      pageSize: () => this.config.server.pageSize,
      sessions: () => this.sessions,
      tasks: this.tasks,
      log,
      // The gateway's own resources (switchyard://…): the artifact catalog and BOMs, the A2A agents.
      gatewayResources: {
        list: () => [...GATEWAY_RESOURCES.map((r) => ({ ...r })), { ...A2A_AGENTS_RESOURCE }],
        read: async (uri) => {
          if (uri === A2A_AGENTS_RESOURCE.uri) {
            const text = JSON.stringify(this.a2a.catalog(this.origin(), new URLSearchParams()), null, 2);
            return { contents: [{ uri, mimeType: A2A_AGENTS_RESOURCE.mimeType, text }] };
          }
          if (!GATEWAY_RESOURCES.some((r) => r.uri === uri))
            throw new GatewayError('SWY_RESOURCE_NOT_FOUND', { uri });
          return { contents: [await readGatewayResource(uri, await this.bomSource())] };
        },
      },
    });
    this.pipeline = new Pipeline(this);
    this.a2a = new A2aFront(this);
    this.agents = new AgentRuntime(this);
    this.agentTools = new AgentsBackend(() => this.servedAgents(), this.agents);
  }

  /**
   * Open the store and start every upstream. Resolves as soon as the gateway can serve; upstreams
   * come up in the background (`upstreamsStarted()` waits for their first attempts).
   */
  async open(): Promise<void> {
    this.tracing = await Tracing.create(this.config, this.traceExporter);
    this.store = await openStore(this.config.store);
    this.log.info({ store: this.store.location }, 'store open');
    this.artifacts = new ArtifactCatalog(
      this.store,
      () => this.config,
      (entry, problem) => this.log.error({ entry, problem }, 'stored catalog entry skipped'),
    );
    this.admin = loadAdminToken(this.config);
    if (this.admin.created)
      this.log.info({ file: this.admin.file }, 'admin token created (`switchyard admin token` prints it)');
    if (this.admin.exposed)
      this.log.warn(
        { file: this.admin.file },
        'the admin token file is readable by other users: chmod 600 it',
      );
    this.taskOwners = new TaskOwnership(this.store.a2a.owners, {
      admins: () => this.config.auth.admins,
      shared: this.store.kind === 'postgres',
      log: this.log,
    });
    this.auth = new Authenticator(
      () => this.config,
      this.store.apiKeys,
      () => this.config.admin.token ?? this.admin.token,
    );
    this.pins = new PinRegistry(this.store.pins, this.log, {
      alert: (a) => this.ledger?.append({ ...a, kind: 'alert', time: Date.now(), front: 'mcp' }),
      quarantined: () => this.metrics.quarantines.inc(),
      changed: () => {
        this.catalogCache = undefined;
        this.authz.invalidate();
        const n: RpcNotification = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
        for (const s of this.sessions.values()) s.notify(n);
      },
      interfacesApproved: (upstream) => {
        const u = this.upstreams.get(upstream);
        if (u instanceof A2aUpstream) u.interfacesApproved();
      },
    });
    await this.pins.load();
    this.authz.runtime = await this.storedPolicies();
    this.authz.quarantine = this.pins;
    if (this.config.audit.enabled) {
      const anchor = resolveAnchor(this.config.audit, this.store, { create: true });
      for (const gap of anchorGaps(anchor)) this.log.warn(gap);
      const ledger = new LedgerWriter(this.store.ledger, this.config.audit, this.log, anchor);
      ledger.onDrop = () => this.metrics.ledgerRefused.inc();
      // Refuses a ledger that was cut or forged (SWY_LEDGER_TAMPERED): the gateway does not start.
      await ledger.open();
      this.ledger = ledger;
    }
    this.sessions = new SessionRegistry(
      this.store.sessions,
      this.log,
      this.config.server.sessionIdleTimeoutMs,
      this.config.server.maxSessionsPerPrincipal,
    );
    this.sessions.onevict = () => this.metrics.sessionsEvicted.inc();
    this.sessions.onclose = (s) => {
      this.local.sessionClosed(s);
      this.onSessionClosed?.(s);
      this.metrics.sessions.set(this.sessions.size);
    };
    this.sessions.start();
    this.events = new EventLog(this.store.events, this.log);
    // prune() logs its own failures.
    this.pruneTimer = setInterval(() => this.prune().catch(() => {}), 60_000);
    this.pruneTimer.unref();
    await this.reconcile(this.config, await this.adminSpecs());
    // What clients first see: list_changed is sent when the lists differ from this.
    this.fingerprints = this.catalog().fingerprints;
  }

  // ---- what the pipeline reads -------------------------------------------------------------

  catalog(): Catalog {
    if (!this.catalogCache) {
      this.checkPins();
      const backends: Backend[] = [...this.upstreams.values()];
      if (this.config.agents.length > 0) backends.push(this.agentTools);
      this.catalogCache = buildCatalog(backends, this.config.naming.separator);
      this.reportCollisions(this.catalogCache);
    }
    return this.catalogCache;
  }

  /** MCP §Capabilities: only what works. Lists always work (possibly empty, with list_changed). */
  capabilities(): JsonObject {
    const infos = [...this.upstreams.values()].flatMap((u) => (u.info ? [u.info.capabilities] : []));
    const tasks = infos.map((c) => c.tasks).filter((t) => t !== undefined);
    return {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { subscribe: infos.some((c) => c.resources?.subscribe === true), listChanged: true },
      logging: {},
      ...(infos.some((c) => c.completions) ? { completions: {} } : {}),
      // Tasks (2025-11-25): task-augmented tools/call where an upstream offers it; list and cancel
      // are answered by the gateway for whichever upstreams support them.
      ...(tasks.some((t) => t.requests?.tools?.call)
        ? {
            tasks: {
              ...(tasks.some((t) => t.list) ? { list: {} } : {}),
              ...(tasks.some((t) => t.cancel) ? { cancel: {} } : {}),
              requests: { tools: { call: {} } },
            },
          }
        : {}),
    };
  }

  instructions(): string | undefined {
    if (this.config.server.instructions) return this.config.server.instructions;
    const parts = [...this.upstreams.values()]
      .filter((u) => u.info?.instructions)
      .map((u) => `## ${u.name}\n${u.info!.instructions}`);
    return parts.length ? `This gateway federates several MCP servers.\n\n${parts.join('\n\n')}` : undefined;
  }

  /**
   * Ready to take traffic: open and not draining, with every upstream named in
   * `readiness.requireUpstreams` up. Other upstreams join as they come up.
   */
  get ready(): boolean {
    return !this.draining && this.waitingFor().length === 0;
  }

  /** The required upstreams (`readiness.requireUpstreams`) that are not ready yet. */
  waitingFor(): string[] {
    return this.config.readiness.requireUpstreams.filter(
      (name) => this.upstreams.get(name)?.state !== 'ready',
    );
  }

  /** Resolves once every upstream running now has made its first attempt to start, successful or not. */
  async upstreamsStarted(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.firstAttempt));
  }

  status(): UpstreamStatus[] {
    const refused = [...this.refused.values()].map(({ spec, origin, verdict }): UpstreamStatus => ({
      name: spec.name,
      origin,
      transport: upstreamConsumer(spec).transport as UpstreamStatus['transport'],
      state: 'refused',
      error: `license policy: ${verdict.findings
        .filter((f) => f.level === 'refuse')
        .map(describeFinding)
        .join('; ')}`,
      tools: 0,
      prompts: 0,
      resources: 0,
      resourceTemplates: 0,
      inFlight: 0,
    }));
    const running = [...this.upstreams.values()].map((u): UpstreamStatus => ({
      name: u.name,
      origin: u.origin,
      transport: u instanceof Upstream ? ('command' in u.spec.mcp ? 'stdio' : u.spec.mcp.transport) : 'a2a',
      state: u.state,
      ...(u.lastError ? { error: u.lastError } : {}),
      ...(u.info ? { server: u.info.serverInfo, protocolVersion: u.info.protocolVersion } : {}),
      ...(u instanceof Upstream && u.tolerated.length ? { tolerated: [...u.tolerated] } : {}),
      tools: u.lists.tools.length,
      prompts: u.lists.prompts.length,
      resources: u.lists.resources.length,
      resourceTemplates: u.lists.resourceTemplates.length,
      inFlight: u.inFlight,
      ...(u instanceof A2aUpstream && u.card
        ? { agent: { name: u.card.name, cardVersion: u.cardShape!, signed: u.signed } }
        : {}),
    }));
    return [...running, ...refused];
  }

  upstream(name: string): Backend | undefined {
    return this.upstreams.get(name);
  }

  /** Where clients reach the gateway (for URLs in documents it serves outside a request). */
  origin(): string {
    if (this.config.server.publicUrl) return this.config.server.publicUrl.replace(/\/+$/, '');
    const addr = this.server?.address();
    const host = this.config.server.host.includes(':')
      ? `[${this.config.server.host}]`
      : this.config.server.host;
    return `http://${host}:${addr && typeof addr === 'object' ? addr.port : this.config.server.port}`;
  }

  /** The A2A agents configured as upstreams (proxied at /a2a/<name>). */
  a2aUpstreams(): A2aUpstream[] {
    return [...this.upstreams.values()].filter((u): u is A2aUpstream => u instanceof A2aUpstream);
  }

  /** The MCP upstreams (offered as A2A agents when a2a.serveMcpUpstreams is on). */
  mcpUpstreams(): Upstream[] {
    return [...this.upstreams.values()].filter((u): u is Upstream => u instanceof Upstream);
  }

  // ---- upstream hooks ----------------------------------------------------------------------

  listsChanged(_u: Backend, kinds: readonly ListKind[]): void {
    this.catalogCache = undefined;
    for (const k of kinds) this.pendingRelay.add(RELAYED[k]);
    if (this.relayTimer) return;
    this.relayTimer = setTimeout(() => this.relayListChanged(), this.config.listChangedDebounceMs);
  }

  stateChanged(u: Backend): void {
    this.catalogCache = undefined;
    this.metrics.upstreamUp.labels(u.name).set(u.state === 'ready' ? 1 : 0);
    if (u.state === 'restarting') this.metrics.upstreamRestarts.labels(u.name).inc();
    if (u.state === 'ready') this.local.upstreamReady(u);
  }

  /**
   * Messages an upstream sends outside any call's own stream. The connection is shared by every
   * client, so whatever is not tied to one client's task or subscription goes only to sessions
   * whose principal policy lets use this upstream (`entitled`): never to someone who may not.
   */
  notification(u: Backend, n: RpcNotification): void {
    if (n.method === 'notifications/tasks/status' && n.params) {
      // Status of a task goes to the session that created it, and to no one else.
      const params = this.tasks.toClient(u.name, n.params);
      const owner = typeof params.taskId === 'string' ? this.tasks.owner(params.taskId) : undefined;
      if (owner) this.sessionById(owner)?.notify({ ...n, params });
      return;
    }
    if (n.method === 'notifications/resources/updated') {
      const uri = n.params?.uri;
      const ids = typeof uri === 'string' ? this.local.subscribersOf(uri) : undefined;
      for (const id of ids ?? []) this.sessionById(id)?.notify(n);
      return;
    }
    if (n.method === 'notifications/message') {
      const msg = withLogger(n, u.name);
      const ref = this.affinity.pick(u.name, (s) => s.wantsLog(n.params?.level) && this.entitled(s, u));
      if (ref) return ref.reply.related(msg);
      for (const s of this.sessions.values())
        if (s.wantsLog(n.params?.level) && this.entitled(s, u)) s.notify(msg);
      return;
    }
    // Anything else that can only mean something to the caller of a running call goes there.
    this.affinity.pick(u.name, (s) => this.entitled(s, u))?.reply.related(n);
  }

  /**
   * A request from an upstream (sampling, elicitation, roots). Its answer goes back to the
   * upstream and its params may hold a prompt, so only a client whose principal may use this
   * upstream is asked; with none, the upstream gets SWY_NO_CLIENT.
   */
  serverRequest(u: Backend, req: RpcRequest, signal: AbortSignal): Promise<CallOutcome> {
    const noClient = () =>
      Promise.reject(
        new GatewayError('SWY_NO_CLIENT', { method: req.method, capability: req.method.split('/')[0] }),
      );
    // A request about a task (e.g. elicitation while it runs) belongs to the task's creator.
    const task = this.tasks.relatedTask(u.name, req.params);
    const owner = task ? this.sessionById(this.tasks.owner(task) ?? '') : undefined;
    if (owner) {
      if (!this.entitled(owner, u)) return noClient(); // and to no one else
      const params = req.params && this.tasks.toClient(u.name, req.params);
      return owner.request({ method: req.method, ...(params ? { params } : {}) }, signal);
    }
    const ref = this.affinity.pick(u.name, (s) => s.supports(req.method) && this.entitled(s, u));
    if (ref) return ref.session.request(req, signal, ref.reply);
    // No call in flight: the most recently active client that can answer, on its GET stream.
    let best: Session | undefined;
    for (const s of this.sessions.values()) {
      if (!s.supports(req.method) || !s.outlet || (best && s.lastSeen <= best.lastSeen)) continue;
      if (this.entitled(s, u)) best = s;
    }
    return best ? best.request(req, signal) : noClient();
  }

  /** May this caller be given what the upstream sends outside its own calls? (policy/authz.ts) */
  private entitled(caller: Caller, u: Backend): boolean {
    return this.authz.mayUseUpstream(this.catalog(), caller.identity, u.name);
  }

  // ---- admin and reload ----------------------------------------------------------------------

  /** Add an upstream at runtime; it is persisted and survives restarts. */
  async addUpstream(input: unknown): Promise<UpstreamStatus> {
    let spec: UpstreamConfig;
    try {
      spec = validateUpstream(input);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const detail = err.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
      throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail });
    }
    // No command, no environment, no files outside admin.allowedFileDirs (policy/runtime-upstreams.ts).
    checkRuntimeUpstream(input, spec, this.config.admin);
    const clash = [...this.upstreams.values(), ...this.refused.values()].find(
      (u) => u.spec.name.toLowerCase() === spec.name.toLowerCase(),
    );
    if (clash)
      throw new GatewayError('SWY_UPSTREAM_EXISTS', {
        upstream: spec.name,
        where: `defined by ${clash.origin}`,
      });
    const { verdicts } = await this.artifacts.judge([upstreamConsumer(spec)]);
    const verdict = verdicts[0]!;
    if (verdict.verdict === 'refuse') {
      const detail = verdict.findings
        .filter((f) => f.level === 'refuse')
        .map(describeFinding)
        .join('; ');
      throw new GatewayError('SWY_LICENSE_POLICY_REFUSED', { upstream: spec.name, detail });
    }
    this.reportVerdicts([verdict]);
    const now = Date.now();
    const inserted = await this.store.upstreams.insert({
      name: spec.name,
      spec: input as Record<string, unknown>,
      createdAt: now,
      updatedAt: now,
    });
    if (!inserted)
      throw new GatewayError('SWY_UPSTREAM_EXISTS', { upstream: spec.name, where: 'in the store' });
    if (!spec.enabled) {
      // Kept, not started (as `enabled: false` in the config file).
      const transport = 'command' in spec.mcp ? 'stdio' : spec.mcp.transport;
      const none = { tools: 0, prompts: 0, resources: 0, resourceTemplates: 0, inFlight: 0 };
      return { name: spec.name, origin: 'admin', transport, state: 'disabled', ...none };
    }
    const u = this.createUpstream(spec, 'admin');
    this.upstreams.set(spec.name, u);
    await u.start();
    return this.status().find((s) => s.name === spec.name)!;
  }

  /** Authorization rules added through the admin API, in force at once and kept in the store. */
  async addPolicy(input: unknown): Promise<PolicyConfig> {
    const parsed = PolicySchema.safeParse(input);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((i) => `${formatPath(i.path as (string | number)[]) || '(rule)'}: ${i.message}`)
        .join('; ');
      throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail });
    }
    const rule = parsed.data;
    if (!rule.name)
      throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail: 'name: required for a runtime policy' });
    if (this.config.policies.some((p) => p.name === rule.name))
      throw new GatewayError('SWY_POLICY_EXISTS', { name: rule.name, where: 'in the config file' });
    const inserted = await this.store.policies.insert({
      name: rule.name,
      rule: input as Record<string, unknown>,
      createdAt: Date.now(),
    });
    if (!inserted)
      throw new GatewayError('SWY_POLICY_EXISTS', { name: rule.name, where: 'added at runtime' });
    this.authz.runtime = await this.storedPolicies();
    return rule;
  }

  async removePolicy(name: string): Promise<void> {
    if (!(await this.store.policies.delete(name))) throw new GatewayError('SWY_POLICY_NOT_FOUND', { name });
    this.authz.runtime = await this.storedPolicies();
  }

  /** The stored runtime rules that still validate (one that does not is logged and skipped). */
  private async storedPolicies(): Promise<PolicyConfig[]> {
    const out: PolicyConfig[] = [];
    for (const p of await this.store.policies.list()) {
      const parsed = PolicySchema.safeParse(p.rule);
      if (parsed.success) out.push(parsed.data);
      else this.log.error({ policy: p.name, problem: parsed.error.message }, 'stored policy skipped');
    }
    return out;
  }

  async removeUpstream(name: string): Promise<void> {
    const u = this.upstreams.get(name);
    const refused = this.refused.get(name);
    if (!u && refused) {
      if (refused.origin === 'config') throw new GatewayError('SWY_UPSTREAM_FROM_CONFIG', { upstream: name });
      await this.store.upstreams.delete(name);
      this.refused.delete(name);
      return;
    }
    if (!u) throw new GatewayError('SWY_UPSTREAM_NOT_FOUND', { upstream: name });
    if (u.origin === 'config') {
      throw new GatewayError('SWY_UPSTREAM_FROM_CONFIG', { upstream: name });
    }
    await this.store.upstreams.delete(name);
    this.upstreams.delete(name);
    this.catalogCache = undefined;
    this.listsChanged(u, ['tools', 'prompts', 'resources']);
    await u.stop(this.config.server.shutdownGraceMs);
  }

  /** Swap in a new config snapshot. Settings that need a new listener are reported, not applied. */
  async reload(next: Config): Promise<void> {
    const prev = this.config;
    if (prev.server.host !== next.server.host || prev.server.port !== next.server.port) {
      this.log.warn('server.host/port changed: restart the gateway to listen on the new address');
    }
    if (prev.store !== next.store) this.log.warn('store changed: restart the gateway to use the new store');
    // A catalog entry both in the file and in the store refuses the file before anything changes.
    await this.artifacts.view(next);
    this.config = next;
    this.log.level = next.log.level;
    this.sessions.setIdleTimeout(next.server.sessionIdleTimeoutMs);
    this.sessions.setMaxPerPrincipal(next.server.maxSessionsPerPrincipal);
    this.catalogCache = undefined;
    await this.reconcile(next, await this.adminSpecs());
    this.log.info({ upstreams: [...this.upstreams.keys()] }, 'config reloaded');
  }

  // ---- the AI artifact catalog ----------------------------------------------------------------

  /** Add catalog entries (all or nothing), then re-judge every upstream against the policy. */
  async addCatalogEntries(inputs: readonly unknown[]): Promise<CatalogEntry[]> {
    const added = await this.artifacts.add(inputs);
    await this.reconcile(this.config, await this.adminSpecs());
    return added;
  }

  async removeCatalogEntry(name: string): Promise<void> {
    await this.artifacts.remove(name);
    await this.reconcile(this.config, await this.adminSpecs());
  }

  /** What the BOMs and the catalog resource describe: running upstreams, the catalog, fresh verdicts. */
  async bomSource(): Promise<BomSource> {
    const running = [...this.upstreams.values()].map((u) => upstreamConsumer(u.spec));
    const refused = [...this.refused.values()].map((r) => upstreamConsumer(r.spec));
    const agents = this.config.agents.map((a) => agentConsumer(a, this.config.models));
    const { view, verdicts } = await this.artifacts.judge([...running, ...refused, ...agents]);
    const served = new Set(this.servedAgents().map((a) => a.name));
    return {
      gateway: { name: this.config.server.name, version: VERSION },
      view,
      consumers: [...running, ...agents.filter((a) => served.has(a.name))],
      verdicts,
    };
  }

  /** The declared agents the license policy lets run (all of them without a policy). */
  servedAgents(): AgentConfig[] {
    return this.config.agents.filter((a) => this.agentLicenses?.verdicts.get(a.name)?.verdict !== 'refuse');
  }

  /** What the catalog says about an agent's models, for its card (the model-license extension). */
  agentLicense(name: string): { view: CatalogView; verdict: ConsumerVerdict } | undefined {
    const verdict = this.agentLicenses?.verdicts.get(name);
    return verdict && this.agentLicenses ? { view: this.agentLicenses.view, verdict } : undefined;
  }

  /** Graceful stop: refuse new requests, let in-flight ones finish (up to the grace), then close. */
  async close(): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + this.config.server.shutdownGraceMs;
    while (this.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    clearTimeout(this.relayTimer);
    clearInterval(this.pruneTimer);
    this.pins?.stop();
    await Promise.all([...this.upstreams.values()].map((u) => u.stop(Math.max(0, deadline - Date.now()))));
    this.upstreams.clear();
    await this.agents.close();
    await this.sessions?.stop();
    await this.events?.flush();
    // After the upstreams: the last calls' records are queued by now.
    await this.ledger?.close();
    await this.taskOwners?.close();
    await this.store?.close();
    await this.tracing?.shutdown().catch(() => {});
  }

  inFlight(): number {
    let n = 0;
    for (const s of this.sessions?.values() ?? []) n += s.inFlight.size;
    return n;
  }

  // ---- internals ---------------------------------------------------------------------------

  private createUpstream(spec: AnyUpstreamConfig, origin: 'config' | 'admin'): Upstream | A2aUpstream {
    return isA2a(spec)
      ? new A2aUpstream(spec, this, this.pins, this.taskOwners, this.log, origin)
      : new Upstream(spec, this, this.log, origin);
  }

  private async adminSpecs(): Promise<UpstreamConfig[]> {
    const out: UpstreamConfig[] = [];
    for (const stored of await this.store.upstreams.list()) {
      try {
        const spec = validateUpstream(stored.spec);
        // Stored before these rules existed, or written to the store directly: judged alike.
        checkRuntimeUpstream(stored.spec, spec, this.config.admin);
        out.push(spec);
      } catch (err) {
        this.log.error({ upstream: stored.name, problem: (err as Error).message }, 'stored upstream skipped');
      }
    }
    return out;
  }

  /** Make the running upstreams match config (first) plus runtime-added ones. */
  /**
   * Reconciles run one at a time: a reload and a catalog change arriving together must not both
   * start the same upstream.
   */
  private reconcile(config: Config, admin: UpstreamConfig[]): Promise<void> {
    const run = this.reconciling.then(() => this.reconcileNow(config, admin));
    this.reconciling = run.catch(() => {});
    return run;
  }

  private async reconcileNow(config: Config, admin: UpstreamConfig[]): Promise<void> {
    const desired: { spec: AnyUpstreamConfig; origin: 'config' | 'admin' }[] = [];
    const taken = new Set<string>();
    for (const spec of config.upstreams) {
      taken.add(spec.name.toLowerCase());
      if (spec.enabled) desired.push({ spec, origin: 'config' });
    }
    for (const spec of admin) {
      if (taken.has(spec.name.toLowerCase())) {
        this.log.warn(
          { upstream: spec.name },
          'a runtime upstream has the same name as one in the config file; the file wins',
        );
        continue;
      }
      if (spec.enabled) desired.push({ spec, origin: 'admin' });
    }

    // License policy: the one place upstreams are judged before they run. Refused ones are kept
    // (reported by status and `switchyard check`) but not started.
    // Declared agents are judged alike: a refused one is not served (A2A or MCP).
    const agents = config.agents.map((a) => agentConsumer(a, config.models));
    const judged = await this.artifacts.judge(
      [...desired.map((d) => upstreamConsumer(d.spec)), ...agents],
      config,
    );
    const verdicts = judged.verdicts.slice(0, desired.length);
    const agentVerdicts = judged.verdicts.slice(desired.length);
    this.reportVerdicts(judged.verdicts);
    this.agentLicenses = {
      view: judged.view,
      verdicts: new Map(agentVerdicts.map((v) => [v.name, v])),
    };
    this.refused.clear();
    for (const [i, v] of verdicts.entries()) {
      if (v.verdict === 'refuse') this.refused.set(v.name, { ...desired[i]!, verdict: v });
    }
    const allowed = desired.filter((d) => !this.refused.has(d.spec.name));

    // An upstream new to the gateway joins at once and comes up in the background: clients are
    // served meanwhile and told (list_changed) when its lists arrive. A changed one is replaced
    // make-before-break: the old connection serves until the new one has made its first attempt.
    const next = new Map<string, Upstream | A2aUpstream>();
    const replacing: Promise<void>[] = [];
    const retiring: (Upstream | A2aUpstream)[] = [];
    for (const { spec, origin } of allowed) {
      const current = this.upstreams.get(spec.name);
      if (current && JSON.stringify(current.spec) === JSON.stringify(spec)) {
        next.set(spec.name, current);
        continue;
      }
      const fresh = this.createUpstream(spec, origin);
      next.set(spec.name, fresh);
      if (current) {
        replacing.push(fresh.start());
        retiring.push(current);
      } else {
        this.upstreams.set(spec.name, fresh);
        // Its failures are retried in the background; this is the backstop.
        fresh
          .start()
          .catch((err: unknown) => this.log.error({ err, upstream: spec.name }, 'starting failed'));
      }
    }
    for (const [name, u] of this.upstreams) if (!next.has(name)) retiring.push(u);

    await Promise.all(replacing);
    this.upstreams.clear();
    for (const [k, v] of next) this.upstreams.set(k, v);
    this.catalogCache = undefined;
    for (const u of retiring) this.listsChanged(u, ['tools', 'prompts', 'resources']);
    // Declared agents come and go with the config and the license verdicts (clients are told
    // only when the tool list really changed).
    this.listsChanged(this.agentTools, ['tools']);
    await Promise.all(retiring.map((u) => u.stop(this.config.server.shutdownGraceMs)));
  }

  private reportVerdicts(verdicts: readonly ConsumerVerdict[]): void {
    for (const v of verdicts) {
      if (v.verdict === 'allow') continue;
      const findings = v.findings.map(describeFinding);
      const who = { [v.kind]: v.name, findings };
      if (v.verdict === 'refuse') {
        this.log.error(who, `${v.kind} refused by the license policy; not started`);
      } else this.log.warn(who, `${v.kind} allowed with license-policy warnings`);
    }
  }

  /**
   * Compare each ready upstream's tools with their pins when its list changed — here, as the
   * catalog is rebuilt, so no request is routed to a changed tool before the check.
   */
  private checkPins(): void {
    if (!this.pins) return;
    for (const u of this.upstreams.values()) {
      if (u.state !== 'ready' || this.pinned.get(u.name) === u.lists.tools) continue;
      this.pinned.set(u.name, u.lists.tools);
      this.pins.observe(u.name, u.lists.tools, u.spec.pinning);
    }
  }

  private relayListChanged(): void {
    this.relayTimer = undefined;
    const catalog = this.catalog();
    const before = this.fingerprints;
    this.fingerprints = catalog.fingerprints;
    const kinds = [...this.pendingRelay].filter((k) => !before || before[k] !== catalog.fingerprints[k]);
    this.pendingRelay.clear();
    for (const kind of kinds) {
      const n: RpcNotification = { jsonrpc: '2.0', method: `notifications/${kind}/list_changed` };
      for (const s of this.sessions.values()) s.notify(n);
    }
  }

  private reportCollisions(c: Catalog): void {
    this.metrics.collisions.set(c.collisions.length);
    const now = new Set<string>();
    for (const col of c.collisions) {
      const key = `${col.kind}:${col.name}:${col.renamed}`;
      now.add(key);
      if (this.reportedCollisions.has(key)) continue;
      this.log.warn(
        col.as
          ? { kind: col.kind, name: col.name, kept: col.kept, renamed: col.renamed, as: col.as }
          : { kind: col.kind, uri: col.name, kept: col.kept, dropped: col.renamed },
        col.as
          ? 'name collision: renamed the later entry'
          : 'resource URI offered by two upstreams: routed to the first',
      );
    }
    this.reportedCollisions = now;
  }

  private sessionById(id: string): Session | undefined {
    return this.sessions.live(id);
  }

  private async prune(): Promise<void> {
    try {
      await this.events.flush();
      await this.store.events.prune(Date.now() - this.config.resumability.retentionMs);
      const keep = this.config.conversations.retentionMs;
      if (keep > 0) await this.store.conversations.prune(Date.now() - keep);
      const keepTasks = this.config.a2a.taskRetentionMs;
      if (keepTasks > 0) {
        await this.store.a2a.prune(Date.now() - keepTasks);
        // Who owned a proxied agent's task is kept as long (the agent may keep the task longer:
        // then it belongs to no one, and only admins reach it).
        await this.store.a2a.owners.prune(Date.now() - keepTasks);
      }
    } catch (err) {
      this.log.error({ err }, 'pruning SSE events, agent conversations or A2A tasks failed');
    }
  }
}
