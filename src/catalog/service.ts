/**
 * The catalog as the gateway, the admin API and the CLI use it: config entries merged with the
 * store's, adding and removing stored entries (all or nothing), and policy verdicts for consumers.
 */
import type { AgentConfig, AnyUpstreamConfig, CatalogEntry, Config, ModelConfig } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { Store } from '../store/types.js';
import { CatalogConflictError, CatalogEntryError, CatalogView, validateEntry } from './entry.js';
import { verifyFiles } from './import.js';
import type { BomConsumer } from './bom-source.js';
import { evaluateConsumers, type Consumer, type ConsumerVerdict } from './policy.js';

export interface Judgement {
  view: CatalogView;
  verdicts: ConsumerVerdict[];
}

export class Catalog {
  constructor(
    private readonly store: Store,
    private readonly config: () => Config,
    /** Told about stored entries that no longer validate (they are left out of the view). */
    private readonly onInvalid: (name: string, problem: string) => void = () => {},
  ) {}

  /** Config entries plus stored ones; a name in both throws CatalogConflictError. */
  async view(config: Config = this.config()): Promise<CatalogView> {
    return CatalogView.build(config.catalog, await this.storedEntries());
  }

  async storedEntries(): Promise<CatalogEntry[]> {
    const out: CatalogEntry[] = [];
    for (const row of await this.store.catalog.list()) {
      try {
        out.push(validateEntry(row.spec));
      } catch (err) {
        this.onInvalid(row.name, (err as Error).message);
      }
    }
    return out;
  }

  /**
   * Validate and store entries, all or nothing: any invalid entry, name clash or (with `dir`)
   * file whose SHA-256 differs from the declared one refuses the whole batch.
   */
  async add(inputs: readonly unknown[], opts: { dir?: string } = {}): Promise<CatalogEntry[]> {
    const entries: CatalogEntry[] = [];
    const problems: string[] = [];
    for (const input of inputs) {
      try {
        entries.push(validateEntry(input));
      } catch (err) {
        if (!(err instanceof CatalogEntryError)) throw err;
        problems.push(err.message);
      }
    }
    if (problems.length) throw new GatewayError('SWY_CATALOG_INVALID', { detail: problems.join('; ') });
    const names = entries.map((e) => e.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new GatewayError('SWY_CATALOG_INVALID', { detail: `"${dup}" appears twice in the batch` });
    const fromConfig = this.config().catalog.find((e) => names.includes(e.name));
    if (fromConfig) {
      throw new GatewayError('SWY_CATALOG_EXISTS', {
        name: fromConfig.name,
        where: 'defined in the config file',
      });
    }
    if (opts.dir) {
      for (const e of entries) {
        const bad = await verifyFiles(e.files, opts.dir);
        if (bad.length) problems.push(`catalog entry "${e.name}": ${bad.join('; ')}`);
      }
      if (problems.length) throw new GatewayError('SWY_CATALOG_INVALID', { detail: problems.join('; ') });
    }
    const now = Date.now();
    const taken = await this.store.catalog.insertAll(
      entries.map((e) => ({
        name: e.name,
        kind: e.kind,
        spec: e as Record<string, unknown>,
        createdAt: now,
        updatedAt: now,
      })),
    );
    if (taken.length)
      throw new GatewayError('SWY_CATALOG_EXISTS', { name: taken.join('", "'), where: 'in the store' });
    return entries;
  }

  async remove(name: string): Promise<void> {
    if (this.config().catalog.some((e) => e.name === name)) {
      throw new GatewayError('SWY_CATALOG_FROM_CONFIG', { name });
    }
    if (!(await this.store.catalog.delete(name))) throw new GatewayError('SWY_CATALOG_NOT_FOUND', { name });
  }

  /** Verdicts for these consumers under the config's policy. */
  async judge(consumers: readonly Consumer[], config: Config = this.config()): Promise<Judgement> {
    const view = await this.view(config);
    return { view, verdicts: evaluateConsumers(config.licensePolicy, view, consumers) };
  }
}

/** A declared agent uses its model's artifacts and its own. */
export function agentConsumer(agent: AgentConfig, models: readonly ModelConfig[]): BomConsumer {
  const model = models.find((m) => m.name === agent.model);
  return {
    kind: 'agent',
    name: agent.name,
    artifacts: [...new Set([...(model?.artifacts ?? []), ...(agent.artifacts ?? [])])],
    transport: model && 'llamacpp' in model ? 'llama.cpp (embedded)' : 'openai-compatible',
  };
}

export function upstreamConsumer(spec: AnyUpstreamConfig): BomConsumer {
  return {
    kind: 'upstream',
    name: spec.name,
    artifacts: spec.artifacts ?? [],
    transport: 'a2a' in spec ? 'a2a' : 'command' in spec.mcp ? 'stdio' : spec.mcp.transport,
  };
}

export { CatalogConflictError };
