/**
 * Catalog entries: validation (the config file, the store, the admin API and the importers all
 * go through `validateEntry`), the effective license of an entry, and the merged view of entries
 * from the config file and from the store.
 */
import { formatPath } from '../config/load.js';
import { CatalogEntrySchema, type CatalogEntry } from '../config/schema.js';
import { knownLicense, type Flag } from './licenses.js';
import { evaluateMof, type MofEvaluation } from './mof.js';
import { alternatives, licenseIds, parseExpression } from './spdx.js';

export class CatalogEntryError extends Error {
  constructor(
    readonly entry: string,
    readonly problems: readonly string[],
  ) {
    super(`catalog entry "${entry}": ${problems.join('; ')}`);
    this.name = 'CatalogEntryError';
  }
}

/** Validate one entry as submitted; problems name the field (`license.concluded: …`). */
export function validateEntry(raw: unknown): CatalogEntry {
  const parsed = CatalogEntrySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const name =
    raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string'
      ? (raw as { name: string }).name
      : '(unnamed)';
  const problems = parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${formatPath([...(issue.path as (string | number)[]), k])}: unknown key`);
    }
    return [`${formatPath(issue.path as (string | number)[]) || '(entry)'}: ${issue.message}`];
  });
  throw new CatalogEntryError(name, problems);
}

export interface EffectiveLicense {
  /** Concluded if reviewed, else declared. */
  expression: string;
  /** Every license id named. */
  ids: string[];
  /** Alternatives a licensee may choose between (see spdx.ts `alternatives`). */
  alternatives: string[][];
}

export interface ResolvedEntry {
  entry: CatalogEntry;
  origin: 'config' | 'store';
  license: EffectiveLicense;
  /** Evaluated when the entry records MOF components. */
  mof?: MofEvaluation;
}

export function resolveEntry(entry: CatalogEntry, origin: ResolvedEntry['origin']): ResolvedEntry {
  const expression = (entry.license.concluded ?? entry.license.declared)!;
  const node = parseExpression(expression);
  return {
    entry,
    origin,
    license: { expression, ids: licenseIds(node), alternatives: alternatives(node) },
    ...(entry.mof ? { mof: evaluateMof(entry.mof.components) } : {}),
  };
}

/** Flags that apply when a licensee takes this alternative: the table's, plus the entry's own. */
export function flagsOf(entry: CatalogEntry, alternative: readonly string[]): Flag[] {
  const out = new Set<Flag>(entry.license.flags);
  for (const id of alternative) for (const f of knownLicense(id)?.flags ?? []) out.add(f);
  return [...out];
}

/** Flags of every license the entry names (for display). */
export function allFlags(r: ResolvedEntry): Flag[] {
  return flagsOf(r.entry, r.license.ids);
}

export class CatalogConflictError extends Error {
  constructor(readonly names: readonly string[]) {
    super(
      `catalog entr${names.length > 1 ? 'ies' : 'y'} ${names.map((n) => `"${n}"`).join(', ')} defined both in ` +
        'the config file and in the store: remove one (`switchyard catalog remove NAME` or edit `catalog:`)',
    );
    this.name = 'CatalogConflictError';
  }
}

/** The merged catalog: config entries and stored ones; the same name in both is an error. */
export class CatalogView {
  private readonly byName: ReadonlyMap<string, ResolvedEntry>;

  constructor(readonly entries: readonly ResolvedEntry[]) {
    this.byName = new Map(entries.map((e) => [e.entry.name, e]));
  }

  static build(config: readonly CatalogEntry[], stored: readonly CatalogEntry[]): CatalogView {
    const fromConfig = new Set(config.map((e) => e.name));
    const clash = stored.filter((e) => fromConfig.has(e.name)).map((e) => e.name);
    if (clash.length > 0) throw new CatalogConflictError(clash);
    const all = [
      ...config.map((e) => resolveEntry(e, 'config')),
      ...stored.map((e) => resolveEntry(e, 'store')),
    ].sort((a, b) => (a.entry.name < b.entry.name ? -1 : 1)); // code-point order, locale-independent
    return new CatalogView(all);
  }

  get(name: string): ResolvedEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * The artifacts a consumer actually runs: those it names plus, transitively, their base models
   * and run-time dependencies (training data is recorded, not run). Unknown names are kept so the
   * policy can report them.
   */
  closure(names: readonly string[]): string[] {
    const seen = new Set<string>();
    const queue = [...names];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const r = this.byName.get(name);
      if (r) queue.push(...r.entry.relationships.baseModel, ...r.entry.relationships.dependsOn);
    }
    return [...seen];
  }
}
