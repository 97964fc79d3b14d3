/**
 * Tool-definition pinning, the rug-pull defence. The first time a tool is seen, the hash of its
 * definition (name, title, description, input and output schema, annotations, execution, _meta,
 * icons) is pinned in the store. If the upstream later offers a different definition, the tool is
 * quarantined — hidden from lists, calls refused — until an admin approves the new one. Mode per
 * upstream: `pin`, `warn` (log and record only), `off`.
 *
 * Checks run synchronously against pins held in memory, at the moment an upstream's tool list is
 * (re)read, so a changed tool is never callable, not even briefly; store writes follow.
 *
 * An A2A agent's interfaces — where its requests and credentials go — are pinned the same way,
 * under the name `#interfaces` (a2a/interfaces.ts): changed interfaces are held, and calls keep
 * going to the approved ones until an admin approves the new set.
 */
import type { JsonObject } from '../mcp/jsonrpc.js';
import { canonicalJson, digest, sha256Hex } from '../ledger/canonical.js';
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

/** The pin name of an A2A agent's interface set (no bridged tool name can start with `#`). */
export const INTERFACES_PIN = '#interfaces';

interface Held {
  hash: string;
  /** The approved interface set (interface pins only): what calls use while a change is held. */
  definition?: string;
  /** Set while quarantined: the definition the upstream offers now. */
  pending?: { hash: string; definition: string };
}

/** What the interfaces check decided for an agent's card. */
export interface InterfaceVerdict {
  /** True while a changed set awaits approval (mode `pin`). */
  held: boolean;
  /** The set calls may use: the offered one, or the approved one while held (unknown: none). */
  use: JsonObject | undefined;
}

export interface PinEvents {
  alert(input: Omit<LedgerInput, 'time' | 'front' | 'kind'>): void;
  quarantined(): void;
  /** The visible tool set changed (quarantine lifted). */
  changed(): void;
  /** An agent's held interface set was approved: it may now use the interfaces it offers. */
  interfacesApproved(upstream: string): void;
}

type Kind = 'tool' | 'interfaces';

const key = (upstream: string, tool: string) => `${upstream}\u0000${tool}`;

export class PinRegistry {
  private readonly held = new Map<string, Held>();
  /** Tools (and interface sets) quarantined now, and the hash each upstream currently offers. */
  private readonly quarantine = new Map<
    string,
    { upstream: string; tool: string; hash: string; kind: Kind }
  >();
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
    for (const p of await this.repo.list()) {
      const definition = p.tool === INTERFACES_PIN ? { definition: p.definition } : {};
      this.held.set(key(p.upstream, p.tool), { hash: p.hash, ...definition });
    }
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
    for (const [k, q] of this.quarantine)
      if (q.upstream === upstream && q.kind === 'tool') this.quarantine.delete(k);
    if (mode === 'off') return;
    for (const t of tools) {
      const tool = String(t.name);
      const legacy = digest(coveredBeforeOf(t));
      this.current.set(
        key(upstream, tool),
        this.check(upstream, tool, definitionOf(t), mode, 'tool', legacy),
      );
    }
    this.schedulePoll();
  }

  /**
   * An A2A agent's card was (re)read and offers this interface set: pin it on first sight; a
   * changed set is held (mode `pin`) — the verdict then names the approved set to keep using.
   */
  observeInterfaces(upstream: string, offered: JsonObject, mode: PinMode): InterfaceVerdict {
    const k = key(upstream, INTERFACES_PIN);
    this.quarantine.delete(k);
    if (mode === 'off') return { held: false, use: offered };
    this.check(upstream, INTERFACES_PIN, offered, mode, 'interfaces');
    if (!this.quarantine.has(k)) return { held: false, use: offered };
    this.schedulePoll();
    const approved = this.held.get(k)?.definition;
    return { held: true, use: approved ? (JSON.parse(approved) as JsonObject) : undefined };
  }

  /**
   * Compare one definition with its pin: pin it, accept it, or report (and in `pin` mode hold) it.
   * `legacy`: the hash a pin taken before execution, _meta and icons were covered would have.
   */
  private check(
    upstream: string,
    tool: string,
    def: JsonObject,
    mode: PinMode,
    kind: Kind,
    legacy?: string,
  ): string {
    const k = key(upstream, tool);
    const definition = canonicalJson(def);
    const hash = `sha256:${sha256Hex(definition)}`;
    const held = this.held.get(k);
    const now = Date.now();
    if (!held) {
      this.held.set(k, { hash, ...(kind === 'interfaces' ? { definition } : {}) });
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
      return hash;
    }
    if (held.hash === hash) return hash;
    if (legacy !== undefined && held.hash === legacy) {
      this.upgrade(upstream, tool, held, { hash, definition }, now);
      return hash;
    }
    const reported = held.pending?.hash === hash;
    held.pending = { hash, definition };
    if (mode === 'pin') this.quarantine.set(k, { upstream, tool, hash, kind });
    if (reported) return hash; // the same change seen again (a reconnect): already reported
    const what = kind === 'tool' ? 'tool definition' : 'agent interfaces';
    const state = kind === 'tool' ? 'quarantined' : 'held (calls keep going to the approved interfaces)';
    this.log.warn(
      { upstream, tool, pinned: held.hash, offered: hash, mode },
      mode === 'pin'
        ? `${what} changed: ${state} until an admin approves it (switchyard tools diff|approve)`
        : `${what} changed (pinning: warn)`,
    );
    this.events.alert({
      method: 'tools/pin',
      alert: `${kind}_${mode === 'pin' ? 'quarantined' : 'changed'}`,
      upstream,
      target: tool,
      definitionHash: hash,
      detail: { pinned: held.hash, mode },
    });
    if (mode === 'pin') this.events.quarantined();
    this.track(
      this.repo.setPending(upstream, tool, hash, definition, now),
      `storing a changed ${what} failed`,
    );
    return hash;
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
    this.accept(k, upstream, tool, stored.pendingHash, stored.pendingDefinition, by);
    return true;
  }

  stop(): void {
    clearTimeout(this.pollTimer);
  }

  private accept(k: string, upstream: string, tool: string, hash: string, definition: string, by: string) {
    this.held.set(k, { hash, ...(tool === INTERFACES_PIN ? { definition } : {}) });
    const q = this.quarantine.get(k);
    if (q?.hash !== hash) return;
    this.quarantine.delete(k);
    const what = q.kind === 'tool' ? 'tool definition' : 'agent interfaces';
    this.log.info({ upstream, tool, hash, by }, `${what} approved: quarantine lifted`);
    this.events.alert({
      method: 'tools/approve',
      alert: `${q.kind}_approved`,
      upstream,
      target: tool,
      definitionHash: hash,
      principal: by,
    });
    if (q.kind === 'interfaces') this.events.interfacesApproved(upstream);
    else this.events.changed();
  }

  /**
   * `switchyard tools approve` writes the store directly; while anything is quarantined, look
   * there for approvals now and then.
   */
  private schedulePoll(): void {
    if (this.pollTimer || this.quarantine.size === 0) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.poll()
        .catch((err: unknown) => this.log.error({ err }, 'looking for approved pins failed'))
        .finally(() => this.schedulePoll());
    }, this.pollMs);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    for (const [k, q] of [...this.quarantine]) {
      const stored = await this.repo.get(q.upstream, q.tool).catch(() => undefined);
      if (stored && stored.hash === q.hash)
        this.accept(k, q.upstream, q.tool, q.hash, stored.definition, 'cli');
    }
  }
}
