/**
 * What a bill of materials describes: the gateway, its consumers (MCP upstreams now; agents and
 * the A2A agents they reach when those exist) and the catalog entries they use.
 */
import type { CatalogEntry } from '../config/schema.js';
import type { CatalogView, ResolvedEntry } from './entry.js';
import type { Consumer, ConsumerVerdict } from './policy.js';

export interface BomConsumer extends Consumer {
  /** `stdio`, `streamable-http`, `sse`, `a2a`, … (never a URL: those can carry credentials). */
  transport?: string;
}

export interface BomSource {
  gateway: { name: string; version: string };
  view: CatalogView;
  consumers: readonly BomConsumer[];
  verdicts: readonly ConsumerVerdict[];
  /** Fixed in tests; now otherwise. */
  timestamp?: Date;
}

export interface BomSelection {
  consumers: readonly BomConsumer[];
  entries: readonly ResolvedEntry[];
}

/**
 * Narrow to one consumer (`--agent`/`--upstream`), or keep everything. A consumer's BOM holds
 * what it runs (its artifacts, their base models and dependencies) and the datasets those were
 * trained and tested on.
 */
export function selectBom(source: BomSource, only?: { kind: Consumer['kind']; name: string }): BomSelection {
  if (!only) return { consumers: source.consumers, entries: source.view.entries };
  const consumer = source.consumers.find((c) => c.kind === only.kind && c.name === only.name);
  if (!consumer) throw new Error(`no ${only.kind} named "${only.name}"`);
  const names = new Set(source.view.closure(consumer.artifacts));
  for (const n of [...names]) {
    const e = source.view.get(n)?.entry;
    for (const d of [...(e?.relationships.trainedOn ?? []), ...(e?.relationships.testedOn ?? [])])
      names.add(d);
  }
  return {
    consumers: [consumer],
    entries: source.view.entries.filter((r) => names.has(r.entry.name)),
  };
}

export function isModelKind(e: CatalogEntry): boolean {
  return e.kind === 'model' || e.kind === 'weights';
}

/** How a BOM describes a consumer: an MCP server, an A2A agent reached through the gateway, an agent. */
export function describeConsumer(c: BomConsumer): string {
  if (c.kind !== 'upstream') return 'agent';
  return c.transport === 'a2a' ? 'A2A agent reached through the gateway' : 'MCP upstream server';
}
