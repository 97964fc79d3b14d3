/**
 * Tool-definition pinning, the rug-pull defence. The first time a tool is seen, the hash of its
 * definition (name, title, description, input and output schema, annotations, execution, _meta,
 * icons) is pinned in the store. If the upstream later offers a different definition, the tool is
 * quarantined — hidden from lists, calls refused — until an admin approves the new one. Mode per
 * upstream: `pin`, `warn` (log and record only), `off`.
 *
 * Checks run synchronously against pins held in memory, at the moment an upstream's tool list is
 * (re)read, so a changed tool is never callable, not even briefly; store writes follow.
 */
import type { JsonObject } from '../mcp/jsonrpc.js';
import { canonicalJson, digest } from '../ledger/canonical.js';
import type { LedgerInput } from '../ledger/entry.js';
import type { PinRepo, StoredPin } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';

export type PinMode = 'pin' | 'warn' | 'off';

/** The parts of a tool a model or user relies on. */
export function definitionOf(tool: JsonObject): JsonObject {
  const out = coveredBeforeOf(tool);
  // Always present, null when the tool has none: that pins the fact that it had none, and it
  // makes every definition of this form differ from one pinned before these were covered.
  for (const k of ['execution', '_meta', 'icons'] as const) out[k] = tool[k] ?? null;
  return out;
}

/** What pins covered before `execution`, `_meta` and `icons` (MCP 2025-11-25) were added. */
function coveredBeforeOf(tool: JsonObject): JsonObject {
  const out: JsonObject = { name: tool.name };
  for (const k of ['title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const) {
    if (tool[k] !== undefined) out[k] = tool[k];
  }
  return out;
}

export function definitionHash(tool: JsonObject): string {
  return digest(definitionOf(tool));
}

interface Held {
  hash: string;
  /** Set while quarantined: the definition the upstream offers now. */
  pending?: { hash: string; definition: string };
}

export interface PinEvents {
  alert(input: Omit<LedgerInput, 'time' | 'front' | 'kind'>): void;
  quarantined(): void;
  /** The visible tool set changed (quarantine lifted). */
  changed(): void;
}

const key = (upstream: string, tool: string) => `${upstream}\u0000${tool}`;

export class PinRegistry {
  private readonly held = new Map<string, Held>();
  /** Tools quarantined now, and the hash each upstream currently offers. */
  private readonly quarantine = new Map<string, { upstream: string; tool: string; hash: string }>();
  /** Hash of what each upstream offers now (for the request record). */
  private readonly current = new Map<string, string>();
  private pollTimer: NodeJS.Timeout | undefined;
  /** Store writes still in flight (pins and pending definitions). */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    private readonly repo: PinRepo,
    private readonly log: Logger,
    private readonly events: PinEvents,
    private readonly pollMs = 2000,
  ) {}

  async load(): Promise<void> {
    for (const p of await this.repo.list()) this.held.set(key(p.upstream, p.tool), { hash: p.hash });
  }

  get active(): boolean {
    return this.quarantine.size > 0;
  }

  isQuarantined(upstream: string, tool: string): boolean {
    return this.quarantine.has(key(upstream, tool));
  }

  hashOf(upstream: string, tool: string): string | undefined {
    return this.current.get(key(upstream, tool));
  }

  /** An upstream's tool list was (re)read. */
  observe(upstream: string, tools: readonly JsonObject[], mode: PinMode): void {
    for (const k of [...this.current.keys()]) if (k.startsWith(`${upstream}\u0000`)) this.current.delete(k);
    for (const [k, q] of this.quarantine) if (q.upstream === upstream) this.quarantine.delete(k);
    if (mode === 'off') return;
    const now = Date.now();
    for (const t of tools) {
      const tool = String(t.name);
      const k = key(upstream, tool);
      const definition = canonicalJson(definitionOf(t));
      const hash = digest(definitionOf(t));
      this.current.set(k, hash);
      const held = this.held.get(k);
      if (!held) {
        this.held.set(k, { hash });
        const pin: StoredPin = {
          upstream,
          tool,
          hash,
          definition,
          pinnedAt: now,
          pendingHash: null,
          pendingDefinition: null,
          pendingSince: null,
        };
        this.track(this.repo.insert(pin), 'storing a tool pin failed');
        continue;
      }
      if (held.hash === hash) continue;
      if (held.hash === digest(coveredBeforeOf(t))) {
        this.upgrade(upstream, tool, held, { hash, definition }, now);
        continue;
      }
      const reported = held.pending?.hash === hash;
      held.pending = { hash, definition };
      if (mode === 'pin') this.quarantine.set(k, { upstream, tool, hash });
      if (reported) continue; // the same change seen again (a reconnect): already reported
      this.log.warn(
        { upstream, tool, pinned: held.hash, offered: hash, mode },
        mode === 'pin'
          ? 'tool definition changed: quarantined until an admin approves it (switchyard tools diff|approve)'
          : 'tool definition changed (pinning: warn)',
      );
      this.events.alert({
        method: 'tools/pin',
        alert: mode === 'pin' ? 'tool_quarantined' : 'tool_changed',
        upstream,
        target: tool,
        definitionHash: hash,
        detail: { pinned: held.hash, mode },
      });
      if (mode === 'pin') this.events.quarantined();
      this.track(
        this.repo.setPending(upstream, tool, hash, definition, now),
        'storing a changed tool definition failed',
      );
    }
    this.schedulePoll();
  }

  /**
   * A pin taken before `execution`, `_meta` and `icons` were covered, of a tool unchanged in all
   * it covered: it now covers those too, as they are now. No pin of the new form can match the
   * old form (its definitions always name those fields), so this happens once per pin; a tool
   * whose `execution`, `_meta` or `icons` change after that is quarantined like any other change.
   *
   * Quarantining instead would quarantine nearly every tool on upgrade (SDK servers send
   * `execution` for every tool) and teach admins to approve without reading. What this trusts —
   * these fields as first seen after the upgrade — is what a new tool gets: nothing the old pin
   * vouched for is given up. Each upgrade is logged and written to the ledger (`tool_pin_upgraded`).
   */
  private upgrade(
    upstream: string,
    tool: string,
    held: Held,
    now: { hash: string; definition: string },
    at: number,
  ): void {
    const pinned = held.hash;
    held.hash = now.hash;
    held.pending = undefined;
    this.log.info(
      { upstream, tool, pinned, now: now.hash },
      'tool pin extended to execution, _meta and icons (the rest is unchanged)',
    );
    this.events.alert({
      method: 'tools/pin',
      alert: 'tool_pin_upgraded',
      upstream,
      target: tool,
      definitionHash: now.hash,
      detail: { pinned },
    });
    this.track(
      this.repo.approve(upstream, tool, now.hash, now.definition, at),
      'storing an upgraded tool pin failed',
    );
  }

  /** Resolves when what was observed so far is in the store. */
  async settled(): Promise<void> {
    await Promise.all([...this.writes]);
  }

  private track(write: Promise<unknown>, failure: string): void {
    const p: Promise<unknown> = write
      .catch((err: unknown) => this.log.error({ err }, failure))
      .finally(() => this.writes.delete(p));
    this.writes.add(p);
  }

  /** Approve what the upstream offers now (admin API). */
  async approve(upstream: string, tool: string, by: string): Promise<boolean> {
    await this.settled();
    const k = key(upstream, tool);
    const stored = await this.repo.get(upstream, tool);
    if (!stored?.pendingHash || !stored.pendingDefinition) return false;
    await this.repo.approve(upstream, tool, stored.pendingHash, stored.pendingDefinition, Date.now());
    this.accept(k, upstream, tool, stored.pendingHash, by);
    return true;
  }

  stop(): void {
    clearTimeout(this.pollTimer);
  }

  private accept(k: string, upstream: string, tool: string, hash: string, by: string): void {
    this.held.set(k, { hash });
    const q = this.quarantine.get(k);
    if (q?.hash !== hash) return;
    this.quarantine.delete(k);
    this.log.info({ upstream, tool, hash, by }, 'tool definition approved: quarantine lifted');
    this.events.alert({
      method: 'tools/approve',
      alert: 'tool_approved',
      upstream,
      target: tool,
      definitionHash: hash,
      principal: by,
    });
    this.events.changed();
  }

  /**
   * `switchyard tools approve` writes the store directly; while anything is quarantined, look
   * there for approvals now and then.
   */
  private schedulePoll(): void {
    if (this.pollTimer || this.quarantine.size === 0) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      void this.poll().finally(() => this.schedulePoll());
    }, this.pollMs);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    for (const [k, q] of [...this.quarantine]) {
      const stored = await this.repo.get(q.upstream, q.tool).catch(() => undefined);
      if (stored && stored.hash === q.hash) this.accept(k, q.upstream, q.tool, q.hash, 'cli');
    }
  }
}
