/**
 * The gateway's composition root: it builds the store, the policy parts, the sessions, the
 * pipeline and the fronts, and wires them to the pieces that each do one job:
 *
 * - `upstream-set.ts`: the upstreams and their lifecycle against the config (reconcile, license
 *   verdicts, status);
 * - `route-table-cache.ts`: the federated route table, rebuilt when a list or pin changed;
 * - `list-changes.ts`: telling clients a list changed;
 * - `server-messages.ts`: where an upstream's own notifications and requests go;
 * - `admin-service.ts`: what the admin API changes at runtime.
 *
 * It also runs the lifecycle: open, hot reload (a frozen config snapshot swapped whole, then the
 * upstreams reconciled against it) and graceful stop.
 */
import type { Server } from 'node:http';
import { A2A_AGENTS_RESOURCE, A2aFront } from '../a2a/front.js';
import { TaskOwnership } from '../a2a/ownership.js';
import { A2aUpstream } from '../a2a/upstream.js';
import { AgentsBackend } from '../agents/backend.js';
import { AgentRuntime } from '../agents/runtime.js';
import {
  Catalog as ArtifactCatalog,
  GATEWAY_RESOURCES,
  readGatewayResource,
  agentConsumer,
  type BomSource,
  type CatalogView,
  type ConsumerVerdict,
} from '../catalog/index.js';
import type { AgentConfig, Config } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import { anchorGaps, resolveAnchor } from '../ledger/anchor.js';
import { LedgerWriter } from '../ledger/writer.js';
import { InFlightCalls } from '../mcp/federation/in-flight.js';
import { mergedCapabilities, mergedInstructions } from '../mcp/federation/capabilities.js';
import type { RouteTable } from '../mcp/federation/route-table.js';
import { LocalHandlers } from '../mcp/federation/local.js';
import { TaskDirectory } from '../mcp/federation/tasks.js';
import { EventLog } from '../mcp/front/sse.js';
import type { JsonObject, RpcNotification, RpcRequest } from '../mcp/jsonrpc.js';
import type { Session } from '../mcp/session.js';
import { SessionRegistry } from '../mcp/sessions.js';
import type { Backend, ListKind, UpstreamHooks } from '../mcp/upstream/backend.js';
import type { CallOutcome } from '../mcp/upstream/forwarder.js';
import type { Upstream } from '../mcp/upstream/upstream.js';
import { loadAdminToken, type AdminToken } from '../policy/admin-token.js';
import { Authenticator } from '../policy/authn.js';
import { Authorizer } from '../policy/authz.js';
import { systemResolver, type ResolveHost } from '../policy/egress.js';
import { RateLimiter } from '../policy/limits.js';
import { PinRegistry } from '../policy/pinning.js';
import { ToolSchemas } from '../policy/validation.js';
import { openStore } from '../store/open.js';
import { pruneExpired } from '../store/retention.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { Metrics } from '../telemetry/metrics.js';
import { Tracing } from '../telemetry/traces.js';
import { VERSION } from '../version.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AdminService } from './admin-service.js';
import { ListChanges } from './list-changes.js';
import { Pipeline, type Core } from './pipeline.js';
import { RouteTableCache } from './route-table-cache.js';
import { ServerMessages } from './server-messages.js';
import { UpstreamSet, type UpstreamStatus } from './upstream-set.js';

export type { UpstreamStatus } from './upstream-set.js';

export class GatewayCore implements Core, UpstreamHooks {
  config: Config;
  readonly metrics: Metrics;
  /** Which calls are in flight on which upstream, and for whom. */
  readonly inFlightCalls = new InFlightCalls();
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
  adminToken: AdminToken = {};
  /** What the admin API changes at runtime. */
  readonly admin: AdminService;
  /** The upstreams the gateway runs, reconciled against the config. */
  readonly upstreams: UpstreamSet;
  /** The federated route table, rebuilt on next use after a list or pin changed. */
  private readonly routeTable: RouteTableCache;
  private readonly lists: ListChanges;
  private readonly messages: ServerMessages;
  readonly authz: Authorizer;
  pins!: PinRegistry;
  readonly schemas: ToolSchemas;
  readonly limits: RateLimiter;
  tracing: Tracing | undefined;
  /** Where spans go instead of OTLP (an embedding application, tests). */
  traceExporter?: SpanExporter;
  /** How the host names of push-notification URLs are resolved (an embedding application, tests). */
  resolveHost: ResolveHost = systemResolver;
  /** Hooks for the fronts (close a session's streams, …). */
  onSessionClosed?: (s: Session) => void;

  private pruneTimer: NodeJS.Timeout | undefined;

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
      routes: () => this.routes(),
      visible: (principal) => this.authz.visible(this.routes(), principal),
      mayUse: (principal, uri) =>
        this.authz.decide(principal, { kind: 'resource', name: uri }).effect === 'allow',
      upstreams: () => [...this.upstreams.values()],
      pageSize: () => this.config.server.pageSize,
      sessions: () => this.sessions,
      tasks: this.tasks,
      log,
      // The gateway's own resources (switchyard://…): the artifact catalog and BOMs, the A2A agent directory.
      gatewayResources: {
        list: () => [...GATEWAY_RESOURCES.map((r) => ({ ...r })), { ...A2A_AGENTS_RESOURCE }],
        read: async (uri) => {
          if (uri === A2A_AGENTS_RESOURCE.uri) {
            const text = JSON.stringify(this.a2a.directory(this.origin(), new URLSearchParams()), null, 2);
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
    this.upstreams = new UpstreamSet({
      hooks: this,
      log,
      pins: () => this.pins,
      taskOwners: () => this.taskOwners,
      artifacts: () => this.artifacts,
      // Their lists are gone; the declared agents' tools may have come or gone with the config.
      retired: (gone) =>
        this.listsChanged(this.agentTools, gone.length ? ['tools', 'prompts', 'resources'] : ['tools']),
      graceMs: () => this.config.server.shutdownGraceMs,
    });
    this.routeTable = new RouteTableCache({
      backends: () => ({
        upstreams: this.upstreams.values(),
        others: this.config.agents.length > 0 ? [this.agentTools] : [],
      }),
      separator: () => this.config.naming.separator,
      pins: () => this.pins,
      metrics: this.metrics,
      log,
    });
    this.lists = new ListChanges({
      routes: () => this.routes(),
      sessions: () => this.sessions,
      debounceMs: () => this.config.listChangedDebounceMs,
    });
    this.messages = new ServerMessages({
      tasks: this.tasks,
      local: this.local,
      inFlightCalls: this.inFlightCalls,
      sessions: () => this.sessions,
      entitled: (caller, u) => this.authz.mayUseUpstream(this.routes(), caller.identity, u.name),
    });
    this.admin = new AdminService({
      config: () => this.config,
      store: () => this.store,
      artifacts: () => this.artifacts,
      upstreams: this.upstreams,
      authz: this.authz,
      reconcile: () => this.reconcile(),
      log,
    });
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
    this.adminToken = loadAdminToken(this.config);
    const tokenFile = { file: this.adminToken.file };
    if (this.adminToken.created)
      this.log.info(tokenFile, 'admin token created (`switchyard admin token` prints it)');
    if (this.adminToken.exposed)
      this.log.warn(tokenFile, 'the admin token file is readable by other users: chmod 600 it');
    this.taskOwners = new TaskOwnership(this.store.a2a.owners, {
      admins: () => this.config.auth.admins,
      shared: this.store.kind === 'postgres',
      log: this.log,
    });
    this.auth = new Authenticator(
      () => this.config,
      this.store.apiKeys,
      () => this.config.admin.token ?? this.adminToken.token,
    );
    this.pins = new PinRegistry(this.store.pins, this.log, {
      alert: (a) => this.ledger?.append({ ...a, kind: 'alert', time: Date.now(), front: 'mcp' }),
      quarantined: () => this.metrics.quarantines.inc(),
      changed: () => {
        this.routeTable.invalidate();
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
    this.authz.runtime = await this.admin.storedPolicies();
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
    await this.reconcile();
    this.lists.baseline();
  }

  // ---- what the pipeline reads -------------------------------------------------------------

  /** The federated route table (rebuilt after a list or pin changed; see route-table-cache.ts). */
  routes(): RouteTable {
    return this.routeTable.current();
  }

  /** MCP §Capabilities: only what works (mcp/federation/capabilities.ts). */
  capabilities(): JsonObject {
    return mergedCapabilities([...this.upstreams.values()].flatMap((u) => (u.info ? [u.info] : [])));
  }

  instructions(): string | undefined {
    return mergedInstructions(this.config.server.instructions, [...this.upstreams.values()]);
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
  upstreamsStarted(): Promise<void> {
    return this.upstreams.started();
  }

  status(): UpstreamStatus[] {
    return this.upstreams.status();
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
    return this.upstreams.a2a();
  }

  /** The MCP upstreams (offered as A2A agents when a2a.serveMcpUpstreams is on). */
  mcpUpstreams(): Upstream[] {
    return this.upstreams.mcp();
  }

  /** The declared agents the license policy lets run (all of them without a policy). */
  servedAgents(): AgentConfig[] {
    return this.upstreams.servedAgents(this.config.agents);
  }

  /** What the catalog says about an agent's models, for its card (the model-license extension). */
  agentLicense(name: string): { view: CatalogView; verdict: ConsumerVerdict } | undefined {
    return this.upstreams.agentLicense(name);
  }

  /** What the BOMs and the catalog resource describe: running upstreams, the catalog, fresh verdicts. */
  async bomSource(): Promise<BomSource> {
    const { running, refused } = this.upstreams.consumers();
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

  // ---- upstream hooks ----------------------------------------------------------------------

  listsChanged(_u: Backend, kinds: readonly ListKind[]): void {
    this.routeTable.invalidate();
    this.lists.changed(kinds);
  }

  stateChanged(u: Backend): void {
    this.routeTable.invalidate();
    this.metrics.upstreamUp.labels(u.name).set(u.state === 'ready' ? 1 : 0);
    if (u.state === 'restarting') this.metrics.upstreamRestarts.labels(u.name).inc();
    if (u.state === 'ready') this.local.upstreamReady(u);
  }

  /** An upstream's own messages, routed to the clients entitled to them (server-messages.ts). */
  notification(u: Backend, n: RpcNotification): void {
    this.messages.notification(u, n);
  }

  serverRequest(u: Backend, req: RpcRequest, signal: AbortSignal): Promise<CallOutcome> {
    return this.messages.serverRequest(u, req, signal);
  }

  // ---- reload and stop -----------------------------------------------------------------------

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
    this.routeTable.invalidate();
    await this.reconcile();
    this.log.info({ upstreams: this.upstreams.names() }, 'config reloaded');
  }

  /** Graceful stop: refuse new requests, let in-flight ones finish (up to the grace), then close. */
  async close(): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + this.config.server.shutdownGraceMs;
    while (this.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    this.lists.stop();
    clearInterval(this.pruneTimer);
    this.pins?.stop();
    await this.upstreams.stop(deadline);
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

  /** Match the running upstreams to the config, the stored runtime upstreams and the catalog. */
  private async reconcile(): Promise<void> {
    await this.upstreams.reconcile(this.config, await this.admin.storedUpstreams());
  }

  private async prune(): Promise<void> {
    try {
      await this.events.flush();
      await pruneExpired(this.store, this.config);
    } catch (err) {
      this.log.error({ err }, 'pruning SSE events, agent conversations or A2A tasks failed');
    }
  }
}
