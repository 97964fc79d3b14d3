/**
 * Long-running A2A tasks as MCP tasks (2025-11-25 §Tasks) for clients that ask for them: a
 * task-augmented `tools/call` to a bridged tool sends the message without waiting
 * (`returnImmediately`) and answers with the A2A task as an MCP task; `tasks/get`, `tasks/result`,
 * `tasks/cancel` and `tasks/list` then map onto GetTask, waiting for a final state, CancelTask and
 * ListTasks. The gateway prefixes task ids with the upstream and keeps them private to the session
 * that created them (federation/tasks.ts), as for MCP upstreams.
 */
import { TaskState, type Message, type Task } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { GatewayError } from '../errors/index.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import { RELATED_TASK } from '../mcp/federation/tasks.js';
import { messageResult, partsTextOf, taskResult } from './a2a-to-mcp.js';

/** How often tasks/result looks at a task that has not finished. */
const POLL_MS = 250;
const DEFAULT_TTL_MS = 60 * 60_000;

export function mcpStatus(state: TaskState | undefined): string {
  switch (state) {
    case TaskState.TASK_STATE_INPUT_REQUIRED:
    case TaskState.TASK_STATE_AUTH_REQUIRED:
      return 'input_required';
    case TaskState.TASK_STATE_COMPLETED:
      return 'completed';
    case TaskState.TASK_STATE_FAILED:
    case TaskState.TASK_STATE_REJECTED:
      return 'failed';
    case TaskState.TASK_STATE_CANCELED:
      return 'cancelled';
    default:
      return 'working';
  }
}

const FINAL = new Set(['completed', 'failed', 'cancelled', 'input_required']);

/** Tasks begun by bridged tool calls (and immediate answers that needed no task upstream). */
export class BridgedTasks {
  /** Task id → creation time and ttl (A2A tasks carry no such fields). */
  private readonly meta = new Map<string, { createdAt: string; ttl: number }>();
  /** Answers that came back as a message, kept as already-completed tasks. */
  private readonly answered = new Map<string, JsonObject>();
  private seq = 0;

  constructor(private readonly client: () => Client) {}

  /** The CreateTaskResult for what the agent answered to a non-blocking send. */
  created(answer: Message | Task, ttl: unknown): JsonObject {
    const ttlMs = typeof ttl === 'number' && ttl > 0 ? ttl : DEFAULT_TTL_MS;
    const createdAt = new Date().toISOString();
    if ('role' in answer) {
      const id = `answered-${++this.seq}`;
      this.answered.set(id, messageResult(answer));
      this.meta.set(id, { createdAt, ttl: ttlMs });
      return { task: { taskId: id, status: 'completed', createdAt, lastUpdatedAt: createdAt, ttl: ttlMs } };
    }
    this.meta.set(answer.id, { createdAt, ttl: ttlMs });
    return { task: this.toMcp(answer) };
  }

  async handle(method: string, params: JsonObject | undefined, signal: AbortSignal): Promise<JsonObject> {
    if (method === 'tasks/list') return this.list(params);
    const taskId = String(params?.taskId ?? '');
    const answered = this.answered.get(taskId);
    if (answered) {
      const m = this.meta.get(taskId)!;
      const task = {
        taskId,
        status: 'completed',
        createdAt: m.createdAt,
        lastUpdatedAt: m.createdAt,
        ttl: m.ttl,
      };
      if (method === 'tasks/result') return withRelated(answered, taskId);
      if (method === 'tasks/cancel')
        throw new GatewayError('SWY_INVALID_PARAMS', { detail: `task ${taskId} is already completed` });
      return task;
    }
    const client = this.client();
    switch (method) {
      case 'tasks/get':
        return this.toMcp(await client.getTask({ tenant: '', id: taskId }, { signal }));
      case 'tasks/cancel':
        return this.toMcp(
          await client.cancelTask({ tenant: '', id: taskId, metadata: undefined }, { signal }),
        );
      case 'tasks/result': {
        for (;;) {
          const task = await client.getTask({ tenant: '', id: taskId }, { signal });
          if (FINAL.has(mcpStatus(task.status?.state))) return withRelated(taskResult(task), taskId);
          await new Promise((r) => setTimeout(r, POLL_MS));
          if (signal.aborted) throw signal.reason;
        }
      }
      default:
        throw new GatewayError('SWY_METHOD_NOT_FOUND', { method });
    }
  }

  private async list(params: JsonObject | undefined): Promise<JsonObject> {
    const cursor = typeof params?.cursor === 'string' ? params.cursor : '';
    const page = await this.client().listTasks({
      tenant: '',
      contextId: '',
      status: TaskState.TASK_STATE_UNSPECIFIED,
      pageToken: cursor,
      statusTimestampAfter: undefined,
    });
    return {
      tasks: page.tasks.map((t) => this.toMcp(t)),
      ...(page.nextPageToken ? { nextCursor: page.nextPageToken } : {}),
    };
  }

  toMcp(task: Task): JsonObject {
    const m = this.meta.get(task.id);
    const updated = task.status?.timestamp ?? new Date().toISOString();
    const message = partsTextOf(task.status?.message);
    return {
      taskId: task.id,
      status: mcpStatus(task.status?.state),
      ...(message ? { statusMessage: message } : {}),
      createdAt: m?.createdAt ?? updated,
      lastUpdatedAt: updated,
      ttl: m?.ttl ?? DEFAULT_TTL_MS,
      pollInterval: 500,
    };
  }
}

function withRelated(result: JsonObject, taskId: string): JsonObject {
  return { ...result, _meta: { ...(result._meta as JsonObject | undefined), [RELATED_TASK]: { taskId } } };
}
