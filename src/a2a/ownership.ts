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
 * A new task's owner is known in this process at once and stored in batches. Where several
 * gateways share the store (Postgres), a batch is every record of one event-loop turn, and the
 * caller gets its answer only once its record is committed, so the next request about the task
 * finds it on any replica. With SQLite there is one process: the answer does not wait, and
 * records are written every `WRITE_BEHIND_MS` or `BATCH` records, whichever comes first (a crash
 * loses at most those, leaving their tasks to admins).
 */
import { isAdmin, type Principal } from '../policy/principal.js';
import type { StoredTaskOwner, TaskOwnerRepo } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';

/** Owners remembered in memory (they never change, so remembering is always right). */
const CACHE = 10_000;
/** With one process (SQLite): how long records may wait for a write, and how many. */
const WRITE_BEHIND_MS = 100;
const BATCH = 256;

interface Pending {
  row: StoredTaskOwner;
  done: (err?: unknown) => void;
}

export interface OwnershipOptions {
  /** `auth.admins` of the config in force. */
  admins: () => readonly string[];
  /** Other processes read the store too: answer only once a record is committed. */
  shared: boolean;
  log: Logger;
}

export class TaskOwnership {
  private readonly tasks = new Map<string, string>();
  private readonly contexts = new Map<string, string>();
  private queue: Pending[] = [];
  /** Records waiting for the next commit, so a task seen twice meanwhile is written once. */
  private readonly pending = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;

  constructor(
    private readonly repo: TaskOwnerRepo,
    private readonly opts: OwnershipOptions,
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
   * The agent answered `principal`'s message with this task: it is theirs, unless the message
   * continued it (then it was theirs already, or an admin's message is continuing someone's
   * task). Resolves when the caller may answer (see the module comment).
   */
  created(
    agent: string,
    task: { taskId: string; contextId: string },
    message: { taskId?: string } | undefined,
    principal: Principal,
  ): Promise<void> {
    const { taskId, contextId } = task;
    if (!taskId || taskId === message?.taskId) return Promise.resolve();
    const k = key(agent, taskId);
    if (this.tasks.has(k)) return Promise.resolve();
    // A context nobody owned yet is the caller's (mayContinue refused anyone else's). An admin,
    // who may write into any context, claims none.
    const ck = key(agent, contextId);
    if (contextId && !this.contexts.has(ck) && !this.privileged(principal))
      this.remember(this.contexts, ck, principal.name);
    let pending = this.pending.get(k);
    if (!pending) {
      this.remember(this.tasks, k, principal.name);
      pending = new Promise<void>((resolve, reject) => {
        this.queue.push({
          row: { agent, taskId, contextId, principal: principal.name, createdAt: Date.now() },
          done: (err) => (err === undefined ? resolve() : reject(err as Error)),
        });
      });
      this.pending.set(k, pending);
      this.schedule();
    }
    if (this.opts.shared) return pending;
    pending.catch(() => {}); // logged by flush()
    return Promise.resolve();
  }

  /** Shared store: commit this turn's records now. One process: soon, in larger batches. */
  private schedule(): void {
    if (this.opts.shared || this.queue.length >= BATCH) {
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), WRITE_BEHIND_MS);
      this.timer.unref();
    }
  }

  /** Write what is queued (at stop). */
  async close(): Promise<void> {
    const waiting = [...this.pending.values()].map((p) => p.catch(() => {}));
    this.flush();
    await Promise.all(waiting);
  }

  private flush(): void {
    this.scheduled = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    for (const p of batch) this.pending.delete(key(p.row.agent, p.row.taskId));
    this.repo.insertAll(batch.map((p) => p.row)).then(
      (inserted) => {
        // A row that was not inserted had an owner already (an agent that answered with an
        // existing task): forget what was assumed, so the stored owner is read next time.
        const fresh = new Set(inserted.map((r) => key(r.agent, r.taskId)));
        for (const p of batch) {
          const k = key(p.row.agent, p.row.taskId);
          if (!fresh.has(k)) this.tasks.delete(k);
          p.done();
        }
      },
      (err: unknown) => {
        this.opts.log.error({ err, tasks: batch.length }, 'recording the owners of A2A tasks failed');
        for (const p of batch) p.done(err);
      },
    );
  }

  private privileged(principal: Principal): boolean {
    return isAdmin(principal, this.opts.admins());
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
