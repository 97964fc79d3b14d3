/**
 * What the admin API changes at runtime: upstreams and authorization rules added or removed, and
 * catalog entries. Each change is kept in the store (it survives restarts) and takes effect at
 * once; the HTTP side (`http/admin.ts`) only parses, authenticates and answers.
 */
import { upstreamConsumer, type Catalog as ArtifactCatalog } from '../catalog/index.js';
import { ConfigError, formatPath, validateUpstream } from '../config/load.js';
import {
  PolicySchema,
  type CatalogEntry,
  type Config,
  type PolicyConfig,
  type UpstreamConfig,
} from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { Authorizer } from '../policy/authz.js';
import { checkRuntimeUpstream } from '../policy/runtime-upstreams.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { refusals, type UpstreamSet, type UpstreamStatus } from './upstream-set.js';

export interface AdminServiceDeps {
  config(): Config;
  store(): Store;
  artifacts(): ArtifactCatalog;
  upstreams: UpstreamSet;
  authz: Authorizer;
  /** Re-judge and restart what the config, the stored upstreams and the catalog now call for. */
  reconcile(): Promise<void>;
  log: Logger;
}

export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  /** Add an upstream at runtime; it is persisted and survives restarts. */
  async addUpstream(input: unknown): Promise<UpstreamStatus> {
    const { config, store, upstreams } = this.deps;
    let spec: UpstreamConfig;
    try {
      spec = validateUpstream(input);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const detail = err.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
      throw new GatewayError('SWY_ADMIN_BAD_REQUEST', { detail });
    }
    // No command, no environment, no files outside admin.allowedFileDirs (policy/runtime-upstreams.ts).
    checkRuntimeUpstream(input, spec, config().admin);
    const clash = upstreams.find(spec.name);
    if (clash)
      throw new GatewayError('SWY_UPSTREAM_EXISTS', {
        upstream: spec.name,
        where: `defined by ${clash.origin}`,
      });
    const { verdicts } = await this.deps.artifacts().judge([upstreamConsumer(spec)]);
    const verdict = verdicts[0]!;
    if (verdict.verdict === 'refuse') {
      throw new GatewayError('SWY_LICENSE_POLICY_REFUSED', {
        upstream: spec.name,
        detail: refusals(verdict),
      });
    }
    upstreams.report([verdict]);
    const now = Date.now();
    const inserted = await store().upstreams.insert({
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
    await upstreams.add(spec);
    return upstreams.status().find((s) => s.name === spec.name)!;
  }

  async removeUpstream(name: string): Promise<void> {
    const { store, upstreams } = this.deps;
    const found = upstreams.get(name) ?? upstreams.refusedOne(name);
    if (!found) throw new GatewayError('SWY_UPSTREAM_NOT_FOUND', { upstream: name });
    if (found.origin === 'config') throw new GatewayError('SWY_UPSTREAM_FROM_CONFIG', { upstream: name });
    await store().upstreams.delete(name);
    await upstreams.remove(name);
  }

  /** The stored runtime upstreams that are still allowed (one that is not is logged and skipped). */
  async storedUpstreams(): Promise<UpstreamConfig[]> {
    const out: UpstreamConfig[] = [];
    for (const stored of await this.deps.store().upstreams.list()) {
      try {
        const spec = validateUpstream(stored.spec);
        // Stored before these rules existed, or written to the store directly: judged alike.
        checkRuntimeUpstream(stored.spec, spec, this.deps.config().admin);
        out.push(spec);
      } catch (err) {
        this.deps.log.error(
          { upstream: stored.name, problem: (err as Error).message },
          'stored upstream skipped',
        );
      }
    }
    return out;
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
    if (this.deps.config().policies.some((p) => p.name === rule.name))
      throw new GatewayError('SWY_POLICY_EXISTS', { name: rule.name, where: 'in the config file' });
    const inserted = await this.deps.store().policies.insert({
      name: rule.name,
      rule: input as Record<string, unknown>,
      createdAt: Date.now(),
    });
    if (!inserted)
      throw new GatewayError('SWY_POLICY_EXISTS', { name: rule.name, where: 'added at runtime' });
    this.deps.authz.runtime = await this.storedPolicies();
    return rule;
  }

  async removePolicy(name: string): Promise<void> {
    if (!(await this.deps.store().policies.delete(name)))
      throw new GatewayError('SWY_POLICY_NOT_FOUND', { name });
    this.deps.authz.runtime = await this.storedPolicies();
  }

  /** The stored runtime rules that still validate (one that does not is logged and skipped). */
  async storedPolicies(): Promise<PolicyConfig[]> {
    const out: PolicyConfig[] = [];
    for (const p of await this.deps.store().policies.list()) {
      const parsed = PolicySchema.safeParse(p.rule);
      if (parsed.success) out.push(parsed.data);
      else this.deps.log.error({ policy: p.name, problem: parsed.error.message }, 'stored policy skipped');
    }
    return out;
  }

  /** Add catalog entries (all or nothing), then re-judge every upstream against the policy. */
  async addCatalogEntries(inputs: readonly unknown[]): Promise<CatalogEntry[]> {
    const added = await this.deps.artifacts().add(inputs);
    await this.deps.reconcile();
    return added;
  }

  async removeCatalogEntry(name: string): Promise<void> {
    await this.deps.artifacts().remove(name);
    await this.deps.reconcile();
  }
}
