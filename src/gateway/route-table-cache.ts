/**
 * The federated route table the pipeline reads, rebuilt from the upstreams' lists when one of
 * them changes (`invalidate()`), never per request.
 *
 * A rebuild does two things besides merging: it checks each ready upstream's tools against its
 * pins first (so no request is routed to a changed tool before the check), and it reports name
 * collisions once each (a log line and a gauge).
 */
import { buildRouteTable, type RouteTable } from '../mcp/federation/route-table.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import type { Backend } from '../mcp/upstream/backend.js';
import type { PinRegistry } from '../policy/pinning.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { AnyUpstreamConfig } from '../config/schema.js';

/** An upstream as the route table sees it: a backend with its configured pinning. */
export type PinnedBackend = Backend & { readonly spec: Pick<AnyUpstreamConfig, 'pinning'> };

export interface RouteTableCacheDeps {
  /** The upstreams (whose tools are pinned) and the other backends (declared agents' tools). */
  backends(): { upstreams: Iterable<PinnedBackend>; others: readonly Backend[] };
  separator(): string;
  /** Unset until the store is open: nothing is pinned before. */
  pins(): PinRegistry | undefined;
  metrics: Metrics;
  log: Logger;
}

export class RouteTableCache {
  private table: RouteTable | undefined;
  /** The tool list each upstream had when its definitions were last checked against the pins. */
  private readonly pinned = new Map<string, readonly JsonObject[]>();
  private reported = new Set<string>();

  constructor(private readonly deps: RouteTableCacheDeps) {}

  current(): RouteTable {
    if (!this.table) {
      const { upstreams, others } = this.deps.backends();
      const all = [...upstreams];
      this.checkPins(all);
      this.table = buildRouteTable([...all, ...others], this.deps.separator());
      this.reportCollisions(this.table);
    }
    return this.table;
  }

  /** Something the table is built from changed: rebuild on next use. */
  invalidate(): void {
    this.table = undefined;
  }

  private checkPins(upstreams: readonly PinnedBackend[]): void {
    const pins = this.deps.pins();
    if (!pins) return;
    for (const u of upstreams) {
      if (u.state !== 'ready' || this.pinned.get(u.name) === u.lists.tools) continue;
      this.pinned.set(u.name, u.lists.tools);
      pins.observe(u.name, u.lists.tools, u.spec.pinning);
    }
  }

  private reportCollisions(c: RouteTable): void {
    this.deps.metrics.collisions.set(c.collisions.length);
    const now = new Set<string>();
    for (const col of c.collisions) {
      const key = `${col.kind}:${col.name}:${col.renamed}`;
      now.add(key);
      if (this.reported.has(key)) continue;
      this.deps.log.warn(
        col.as
          ? { kind: col.kind, name: col.name, kept: col.kept, renamed: col.renamed, as: col.as }
          : { kind: col.kind, uri: col.name, kept: col.kept, dropped: col.renamed },
        col.as
          ? 'name collision: renamed the later entry'
          : 'resource URI offered by two upstreams: routed to the first',
      );
    }
    this.reported = now;
  }
}
