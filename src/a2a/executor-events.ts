/**
 * What the gateway's own A2A executors (MCP tools served as agents, declared agents) publish and
 * read: the caller's principal, the first task, status updates, agent messages.
 */
import { TaskState, type Message, type Part, type Task, type TaskStatusUpdateEvent } from '@a2a-js/sdk';
import type { Span } from '@opentelemetry/api';
import type { RequestContext } from '@a2a-js/sdk/server';
import { a2aMessage, textPart } from '../bridge/parts.js';
import type { Principal } from '../policy/principal.js';

/** The caller's principal, as the A2A front put it in the call context (anonymous if none). */
export function principalOf(ctx: RequestContext): Principal {
  const user = ctx.context.user as { principal?: Principal } | undefined;
  return user?.principal ?? { name: 'anonymous', groups: [], via: 'anonymous' };
}

/** The A2A request's trace span (when tracing is on): what the executor does hangs under it. */
export function spanOf(ctx: RequestContext): Span | undefined {
  return (ctx.context.user as { span?: Span } | undefined)?.span;
}

/** A task as submitted, holding the message that started it. */
export function newTask(id: string, contextId: string, first: Message): Task {
  return {
    id,
    contextId,
    status: {
      state: TaskState.TASK_STATE_SUBMITTED,
      timestamp: new Date().toISOString(),
      message: undefined,
    },
    artifacts: [],
    history: [first],
    metadata: undefined,
  };
}

/** A status update, with a text message from the agent when there is something to say. */
export function status(
  taskId: string,
  contextId: string,
  state: TaskState,
  text?: string,
): TaskStatusUpdateEvent {
  return {
    taskId,
    contextId,
    status: {
      state,
      timestamp: new Date().toISOString(),
      message: text ? agentSays([textPart(text)], contextId, taskId) : undefined,
    },
    metadata: undefined,
  };
}

export function agentSays(parts: Part[], contextId: string, taskId: string): Message {
  return a2aMessage('agent', parts, { contextId, taskId });
}
