/**
 * Relaying MCP tasks (2025-11-25 §Tasks, experimental): task-augmented `tools/call`, then
 * `tasks/get`, `tasks/result`, `tasks/cancel`, `tasks/list` and `notifications/tasks/status`.
 *
 * Task ids are minted by each upstream, so two upstreams may hand out the same one. Clients see
 * `<upstream>:<task id>`: the prefix routes every later task request to the upstream that owns the
 * task. And because one upstream connection serves every client session, the gateway remembers
 * which session created each task: a session sees, lists and cancels only its own tasks, and status
 * notifications and task-related server requests go to that session alone.
 */
import { GatewayError } from '../../errors/index.js';
import { isObject, type JsonObject } from '../jsonrpc.js';

export const RELATED_TASK = 'io.modelcontextprotocol/related-task';
export const TASK_METHODS = new Set(['tasks/get', 'tasks/result', 'tasks/cancel']);
/** Enough for any realistic number of live tasks; the oldest are forgotten first. */
const MAX_TASKS = 10_000;

export class TaskDirectory {
  /** Client-facing task id → the session that created it. */
  private readonly owners = new Map<string, string>();

  /** Split a client-facing task id into the upstream and the upstream's own id. */
  parse(taskId: unknown): { upstream: string; taskId: string } | undefined {
    if (typeof taskId !== 'string') return undefined;
    const i = taskId.indexOf(':');
    return i > 0 ? { upstream: taskId.slice(0, i), taskId: taskId.slice(i + 1) } : undefined;
  }

  /** Route a tasks/get|result|cancel of a session: the upstream and params with its own id. */
  route(session: string, params: JsonObject | undefined): { upstream: string; params: JsonObject } {
    const taskId = params?.taskId;
    const parsed = this.parse(taskId);
    if (!parsed || this.owners.get(taskId as string) !== session) {
      throw new GatewayError('SWY_INVALID_PARAMS', {
        detail: `unknown task ${JSON.stringify(taskId ?? null)}`,
      });
    }
    return { upstream: parsed.upstream, params: { ...params, taskId: parsed.taskId } };
  }

  owner(clientTaskId: string): string | undefined {
    return this.owners.get(clientTaskId);
  }

  /**
   * Rewrite an upstream result (or notification params) for the client: every task id gets the
   * upstream prefix. A task the session just created is recorded as its own.
   */
  toClient(upstream: string, value: JsonObject, session?: string): JsonObject {
    let out = value;
    const set = (key: string, v: unknown) => {
      if (out === value) out = { ...value };
      out[key] = v;
    };
    if (typeof value.taskId === 'string') set('taskId', this.client(upstream, value.taskId, session));
    if (isObject(value.task) && typeof value.task.taskId === 'string') {
      set('task', { ...value.task, taskId: this.client(upstream, value.task.taskId, session) });
    }
    if (Array.isArray(value.tasks)) {
      set(
        'tasks',
        value.tasks.map((t: unknown) =>
          isObject(t) && typeof t.taskId === 'string' ? { ...t, taskId: `${upstream}:${t.taskId}` } : t,
        ),
      );
    }
    const meta = value._meta;
    if (isObject(meta) && isObject(meta[RELATED_TASK]) && typeof meta[RELATED_TASK].taskId === 'string') {
      set('_meta', {
        ...meta,
        [RELATED_TASK]: { ...meta[RELATED_TASK], taskId: `${upstream}:${meta[RELATED_TASK].taskId}` },
      });
    }
    return out;
  }

  /** The client-facing id of a task an upstream refers to in a related message (if any). */
  relatedTask(upstream: string, params: JsonObject | undefined): string | undefined {
    const meta = params?._meta;
    const related = isObject(meta) ? meta[RELATED_TASK] : undefined;
    return isObject(related) && typeof related.taskId === 'string'
      ? `${upstream}:${related.taskId}`
      : undefined;
  }

  /** Keep only the tasks this session owns (tasks/list over a shared upstream connection). */
  ownedBy(session: string, tasks: readonly unknown[]): unknown[] {
    return tasks.filter(
      (t) => isObject(t) && typeof t.taskId === 'string' && this.owners.get(t.taskId) === session,
    );
  }

  private client(upstream: string, taskId: string, session?: string): string {
    const id = `${upstream}:${taskId}`;
    if (session && !this.owners.has(id)) {
      this.owners.set(id, session);
      if (this.owners.size > MAX_TASKS) this.owners.delete(this.owners.keys().next().value!);
    }
    return id;
  }
}
