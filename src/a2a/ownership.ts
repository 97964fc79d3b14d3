/**
 * Who each task of a proxied A2A agent belongs to.
 *
 * The upstream agent sees one caller — the gateway, with its one credential — so it cannot tell
 * the gateway's principals apart. The gateway therefore records the principal that created each
 * task (through either front: A2A, or a bridged MCP tool) and checks it on every later operation
 * on the task: reading, listing, cancelling, subscribing, push configs, and continuing it with a
 * new message. To anyone else the task does not exist. A context belongs to the principal whose
 * task started it, so a new message cannot join another principal's conversation either. Admins
 * (the admin token, `auth.admins`) may act on every task.
 *
 * Records are stored in group commits (every record of one event-loop turn in one statement), and
 * the caller gets its answer only once its record is stored: the next request about the task
 * finds it on any replica.
 */
import { isAdmin, type Principal } from '../policy/principal.js';
import type { StoredTaskOwner, TaskOwnerRepo } from '../store/types.js';

/** Owners remembered in memory (they never change, so remembering is always right). */
const CACHE = 10_000;

interface Pending {
  row: StoredTaskOwner;
  done: (err?: unknown) => void;
}

export class TaskOwnership {
  private readonly tasks = new Map<string, string>();
  private readonly contexts = new Map<string, string>();
  private queue: Pending[] = [];
  /** Records waiting for the next commit, so a task seen twice meanwhile is written once. */
  private readonly pending = new Map<string, Promise<void>>();
  private scheduled = false;

  constructor(
    private readonly repo: TaskOwnerRepo,
    /** `auth.admins` of the config in force. */
    private readonly admins: () => readonly string[],
  ) {}

  /** May `principal` act on this task of `agent`? A task nobody recorded belongs to no one. */
  async owns(agent: string, taskId: string, principal: Principal): Promise<boolean> {
    if (this.privileged(principal)) return true;
    return (await this.ownerOf(agent, taskId)) === principal.name;
  }

  /**
   * May `principal` send this message? Its task must be theirs, and its context must not be one
   * another principal started (a context nobody recorded is a new one).
   */
  async mayContinue(
    agent: string,
    message: { taskId?: string; contextId?: string },
    principal: Principal,
  ): Promise<boolean> {
    if (this.privileged(principal)) return true;
    if (message.taskId && (await this.ownerOf(agent, message.taskId)) !== principal.name) return false;
    if (message.contextId) {
      const owner = await this.contextOwner(agent, message.contextId);
      if (owner !== undefined && owner !== principal.name) return false;
    }
    return true;
  }

  /** Of `items`, the tasks `principal` may see (all of them for an admin). */
  async visible<T>(agent: string, items: readonly T[], id: (t: T) => string, principal: Principal) {
    if (this.privileged(principal) || items.length === 0) return [...items];
    const unknown = items.map(id).filter((t) => !this.tasks.has(key(agent, t)));
    const stored = unknown.length ? await this.repo.ownersOf(agent, unknown) : new Map<string, string>();
    for (const [t, owner] of stored) this.remember(this.tasks, key(agent, t), owner);
    return items.filter((t) => this.tasks.get(key(agent, id(t))) === principal.name);
  }

  /**
   * `principal` created (or continued) this task: record it as theirs unless it already has an
   * owner. Resolves once the record is stored.
   */
  record(agent: string, taskId: string, contextId: string, principal: Principal): Promise<void> {
    const k = key(agent, taskId);
    if (!taskId || this.tasks.has(k)) return Promise.resolve();
    let pending = this.pending.get(k);
    if (!pending) {
      pending = new Promise<void>((resolve, reject) => {
        this.queue.push({
          row: { agent, taskId, contextId, principal: principal.name, createdAt: Date.now() },
          done: (err) => (err === undefined ? resolve() : reject(err as Error)),
        });
      });
      this.pending.set(k, pending);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    }
    return pending;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const p of batch) this.pending.delete(key(p.row.agent, p.row.taskId));
    this.repo.insertAll(batch.map((p) => p.row)).then(
      (inserted) => {
        // Only rows that were inserted are known to be theirs: a task recorded before keeps its
        // owner. (Contexts are looked up when needed: their owner is their first task's.)
        const fresh = new Set(inserted.map((r) => key(r.agent, r.taskId)));
        for (const p of batch) {
          const k = key(p.row.agent, p.row.taskId);
          if (fresh.has(k)) this.remember(this.tasks, k, p.row.principal);
          p.done();
        }
      },
      (err: unknown) => {
        for (const p of batch) p.done(err);
      },
    );
  }

  private privileged(principal: Principal): boolean {
    return isAdmin(principal, this.admins());
  }

  private async ownerOf(agent: string, taskId: string): Promise<string | undefined> {
    const k = key(agent, taskId);
    const known = this.tasks.get(k);
    if (known !== undefined) return known;
    const owner = (await this.repo.ownersOf(agent, [taskId])).get(taskId);
    if (owner !== undefined) this.remember(this.tasks, k, owner);
    return owner;
  }

  private async contextOwner(agent: string, contextId: string): Promise<string | undefined> {
    const k = key(agent, contextId);
    const known = this.contexts.get(k);
    if (known !== undefined) return known;
    const owner = await this.repo.contextOwner(agent, contextId);
    if (owner !== undefined) this.remember(this.contexts, k, owner);
    return owner;
  }

  /** Bounded: the oldest entries go first. */
  private remember(map: Map<string, string>, k: string, owner: string): void {
    if (map.size >= CACHE) map.delete(map.keys().next().value!);
    map.set(k, owner);
  }
}

const key = (agent: string, id: string) => `${agent}\u0000${id}`;
