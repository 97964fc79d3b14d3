/**
 * The upstreams the gateway runs (MCP servers and A2A agents), and their lifecycle against the
 * config: `reconcile` makes the running set match the config file plus the upstreams added at
 * runtime, after the license policy has judged each one (refused ones are kept and reported, not
 * started).
 *
 * An upstream new to the gateway joins at once and comes up in the background: clients are served
 * meanwhile and told (list_changed) when its lists arrive. A changed one is replaced
 * make-before-break: the old connection serves until the new one has made its first attempt, so
 * calls in flight finish on the connection they started on.
 */
import type { TaskOwnership } from '../a2a/ownership.js';
import { A2aUpstream } from '../a2a/upstream.js';
import {
  agentConsumer,
  describeFinding,
  upstreamConsumer,
  type BomConsumer,
  type Catalog as ArtifactCatalog,
  type CatalogView,
  type ConsumerVerdict,
} from '../catalog/index.js';
import { isA2a, type AnyUpstreamConfig, type Config, type UpstreamConfig } from '../config/schema.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import type { Backend, UpstreamHooks } from '../mcp/upstream/backend.js';
import { Upstream } from '../mcp/upstream/upstream.js';
import type { PinRegistry } from '../policy/pinning.js';
import type { Logger } from '../telemetry/logger.js';

export type Origin = 'config' | 'admin';
export type AnyUpstream = Upstream | A2aUpstream;

export interface UpstreamStatus {
  name: string;
  origin: Origin;
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

interface Refused {
  spec: AnyUpstreamConfig;
  origin: Origin;
  verdict: ConsumerVerdict;
}

export interface UpstreamSetDeps {
  /** What every upstream reports to (lists, states, its own messages). */
  hooks: UpstreamHooks;
  log: Logger;
  /** The store-backed parts, set once the store is open. */
  pins(): PinRegistry;
  taskOwners(): TaskOwnership;
  artifacts(): ArtifactCatalog;
  /** Upstreams left the set (their lists are gone); the declared agents may have changed. */
  retired(gone: readonly Backend[]): void;
  graceMs(): number;
}

export class UpstreamSet {
  private readonly running = new Map<string, AnyUpstream>();
  /** Upstreams the license policy refused: configured, not started. */
  private readonly refused = new Map<string, Refused>();
  /** The license verdicts of the declared agents, from the last reconcile. */
  private agentLicenses: { view: CatalogView; verdicts: Map<string, ConsumerVerdict> } | undefined;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(private readonly deps: UpstreamSetDeps) {}

  get(name: string): AnyUpstream | undefined {
    return this.running.get(name);
  }

  values(): IterableIterator<AnyUpstream> {
    return this.running.values();
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  a2a(): A2aUpstream[] {
    return [...this.running.values()].filter((u): u is A2aUpstream => u instanceof A2aUpstream);
  }

  mcp(): Upstream[] {
    return [...this.running.values()].filter((u): u is Upstream => u instanceof Upstream);
  }

  /** Resolves once every upstream running now has made its first attempt to start. */
  async started(): Promise<void> {
    await Promise.all([...this.running.values()].map((u) => u.firstAttempt));
  }

  /** Running or refused, by name regardless of case (names are unique that way). */
  find(name: string): { spec: AnyUpstreamConfig; origin: Origin } | undefined {
    const n = name.toLowerCase();
    return [...this.running.values(), ...this.refused.values()].find((u) => u.spec.name.toLowerCase() === n);
  }

  status(): UpstreamStatus[] {
    const refused = [...this.refused.values()].map(({ spec, origin, verdict }): UpstreamStatus => ({
      name: spec.name,
      origin,
      transport: upstreamConsumer(spec).transport as UpstreamStatus['transport'],
      state: 'refused',
      error: `license policy: ${refusals(verdict)}`,
      tools: 0,
      prompts: 0,
      resources: 0,
      resourceTemplates: 0,
      inFlight: 0,
    }));
    const running = [...this.running.values()].map((u): UpstreamStatus => ({
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

  /** Start one upstream added at runtime (already judged and stored). */
  async add(spec: UpstreamConfig): Promise<void> {
    const u = this.create(spec, 'admin');
    this.running.set(spec.name, u);
    await u.start();
  }

  /** Stop and forget one upstream; false when it is not here. */
  async remove(name: string): Promise<boolean> {
    const u = this.running.get(name);
    if (!u) return this.refused.delete(name);
    this.running.delete(name);
    this.deps.retired([u]);
    await u.stop(this.deps.graceMs());
    return true;
  }

  /** The refused one of this name, if any. */
  refusedOne(name: string): Refused | undefined {
    return this.refused.get(name);
  }

  /** What the BOMs describe: the running upstreams and the refused ones, as license consumers. */
  consumers(): { running: BomConsumer[]; refused: BomConsumer[] } {
    return {
      running: [...this.running.values()].map((u) => upstreamConsumer(u.spec)),
      refused: [...this.refused.values()].map((r) => upstreamConsumer(r.spec)),
    };
  }

  /** The declared agents the license policy lets run (all of them without a policy). */
  servedAgents<A extends { name: string }>(agents: readonly A[]): A[] {
    return agents.filter((a) => this.agentLicenses?.verdicts.get(a.name)?.verdict !== 'refuse');
  }

  /** What the catalog says about an agent's models, for its card (the model-license extension). */
  agentLicense(name: string): { view: CatalogView; verdict: ConsumerVerdict } | undefined {
    const verdict = this.agentLicenses?.verdicts.get(name);
    return verdict && this.agentLicenses ? { view: this.agentLicenses.view, verdict } : undefined;
  }

  /**
   * Make the running upstreams match the config (first) plus the runtime-added ones. Reconciles
   * run one at a time: a reload and a catalog change arriving together must not both start the
   * same upstream.
   */
  reconcile(config: Config, admin: readonly UpstreamConfig[]): Promise<void> {
    const run = this.reconciling.then(() => this.reconcileNow(config, admin));
    this.reconciling = run.catch(() => {});
    return run;
  }

  /** Stop every upstream, each given what is left of the grace period. */
  async stop(deadline: number): Promise<void> {
    await Promise.all([...this.running.values()].map((u) => u.stop(Math.max(0, deadline - Date.now()))));
    this.running.clear();
  }

  /** Log what the license policy said about each consumer that is not plainly allowed. */
  report(verdicts: readonly ConsumerVerdict[]): void {
    for (const v of verdicts) {
      if (v.verdict === 'allow') continue;
      const who = { [v.kind]: v.name, findings: v.findings.map(describeFinding) };
      if (v.verdict === 'refuse') {
        this.deps.log.error(who, `${v.kind} refused by the license policy; not started`);
      } else this.deps.log.warn(who, `${v.kind} allowed with license-policy warnings`);
    }
  }

  private create(spec: AnyUpstreamConfig, origin: Origin): AnyUpstream {
    const { hooks, log } = this.deps;
    return isA2a(spec)
      ? new A2aUpstream(spec, hooks, this.deps.pins(), this.deps.taskOwners(), log, origin)
      : new Upstream(spec, hooks, log, origin);
  }

  private async reconcileNow(config: Config, admin: readonly UpstreamConfig[]): Promise<void> {
    const desired: { spec: AnyUpstreamConfig; origin: Origin }[] = [];
    const taken = new Set<string>();
    for (const spec of config.upstreams) {
      taken.add(spec.name.toLowerCase());
      if (spec.enabled) desired.push({ spec, origin: 'config' });
    }
    for (const spec of admin) {
      if (taken.has(spec.name.toLowerCase())) {
        this.deps.log.warn(
          { upstream: spec.name },
          'a runtime upstream has the same name as one in the config file; the file wins',
        );
        continue;
      }
      if (spec.enabled) desired.push({ spec, origin: 'admin' });
    }

    // License policy: the one place upstreams are judged before they run. Declared agents are
    // judged alike: a refused one is not served (A2A or MCP).
    const agents = config.agents.map((a) => agentConsumer(a, config.models));
    const judged = await this.deps
      .artifacts()
      .judge([...desired.map((d) => upstreamConsumer(d.spec)), ...agents], config);
    const verdicts = judged.verdicts.slice(0, desired.length);
    const agentVerdicts = judged.verdicts.slice(desired.length);
    this.report(judged.verdicts);
    this.agentLicenses = { view: judged.view, verdicts: new Map(agentVerdicts.map((v) => [v.name, v])) };
    this.refused.clear();
    for (const [i, v] of verdicts.entries()) {
      if (v.verdict === 'refuse') this.refused.set(v.name, { ...desired[i]!, verdict: v });
    }
    const allowed = desired.filter((d) => !this.refused.has(d.spec.name));

    const next = new Map<string, AnyUpstream>();
    const replacing: Promise<void>[] = [];
    const retiring: AnyUpstream[] = [];
    for (const { spec, origin } of allowed) {
      const current = this.running.get(spec.name);
      if (current && JSON.stringify(current.spec) === JSON.stringify(spec)) {
        next.set(spec.name, current);
        continue;
      }
      const fresh = this.create(spec, origin);
      next.set(spec.name, fresh);
      if (current) {
        replacing.push(fresh.start());
        retiring.push(current);
      } else {
        this.running.set(spec.name, fresh);
        // Its failures are retried in the background; this is the backstop.
        fresh
          .start()
          .catch((err: unknown) => this.deps.log.error({ err, upstream: spec.name }, 'starting failed'));
      }
    }
    for (const [name, u] of this.running) if (!next.has(name)) retiring.push(u);

    await Promise.all(replacing);
    this.running.clear();
    for (const [k, v] of next) this.running.set(k, v);
    this.deps.retired(retiring);
    await Promise.all(retiring.map((u) => u.stop(this.deps.graceMs())));
  }
}

/** The findings that refused a consumer, as one line. */
export function refusals(verdict: ConsumerVerdict): string {
  return verdict.findings
    .filter((f) => f.level === 'refuse')
    .map(describeFinding)
    .join('; ');
}
