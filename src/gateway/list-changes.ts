/**
 * Tells connected clients that a list changed (`notifications/<kind>/list_changed`), debounced
 * (`listChangedDebounceMs`) and only when what they would see really differs: the route table's
 * fingerprint per list is compared with the one last announced.
 */
import type { RouteTable } from '../mcp/federation/route-table.js';
import type { RpcNotification } from '../mcp/jsonrpc.js';
import type { SessionRegistry } from '../mcp/sessions.js';
import type { ListKind } from '../mcp/upstream/backend.js';

type Announced = keyof RouteTable['fingerprints'];
const ANNOUNCED: Record<ListKind, Announced> = {
  tools: 'tools',
  prompts: 'prompts',
  resources: 'resources',
  resourceTemplates: 'resources',
};

export interface ListChangesDeps {
  routes(): RouteTable;
  sessions(): SessionRegistry;
  debounceMs(): number;
}

export class ListChanges {
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Announced>();
  private fingerprints: RouteTable['fingerprints'] | undefined;

  constructor(private readonly deps: ListChangesDeps) {}

  /** What clients first see: later announcements are made against this. */
  baseline(): void {
    this.fingerprints = this.deps.routes().fingerprints;
  }

  /** These lists may have changed (the route table must already be invalidated). */
  changed(kinds: readonly ListKind[]): void {
    for (const k of kinds) this.pending.add(ANNOUNCED[k]);
    if (this.timer) return;
    this.timer = setTimeout(() => this.announce(), this.deps.debounceMs());
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private announce(): void {
    this.timer = undefined;
    const { fingerprints } = this.deps.routes();
    const before = this.fingerprints;
    this.fingerprints = fingerprints;
    const kinds = [...this.pending].filter((k) => !before || before[k] !== fingerprints[k]);
    this.pending.clear();
    for (const kind of kinds) {
      const n: RpcNotification = { jsonrpc: '2.0', method: `notifications/${kind}/list_changed` };
      for (const s of this.deps.sessions().values()) s.notify(n);
    }
  }
}
