/**
 * A2A agent → MCP tools.
 *
 * Each upstream agent is offered as one tool for the agent (`send_message`) plus one per skill.
 * A2A skills carry no input schema, so every tool takes the same documented input:
 *
 *   { message: string, contextId?: string, taskId?: string, data?: object }
 *
 * `message` becomes a text part, `data` a data part; `contextId`/`taskId` continue a conversation
 * or a task that asked for input. A skill tool also names its skill in the message metadata
 * (`skill`), which agents may use to pick the skill; A2A itself has no skill selector.
 *
 * The answer maps back as: parts → content (see parts.ts); FAILED/REJECTED/CANCELED → `isError`;
 * status updates while streaming → progress notifications; INPUT_REQUIRED → an elicitation when
 * the client supports it (the answer continues the same task), otherwise a result that says input
 * is required and names the taskId to continue with. The task's ids are in `_meta`.
 */
import {
  TaskState,
  type AgentCard,
  type Artifact,
  type Message,
  type Part,
  type SendMessageRequest,
  type StreamResponse,
  type Task,
} from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { A2AError } from '@a2a-js/sdk/errors';
import { GatewayError } from '../errors/index.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import {
  CallCancelled,
  type CallOutcome,
  type Cancellation,
  type RelatedSink,
} from '../mcp/upstream/forwarder.js';
import { a2aMessage, dataPart, partsText, partsToMcp, textPart } from './parts.js';

export const AGENT_TOOL = 'send_message';
/** Where bridged results carry the A2A task's ids and state. */
export const META_KEY = 'dev.switchyard/a2a';
/** How many times one tool call may go back to the user for input. */
const MAX_INPUT_ROUNDS = 8;

export const INPUT_SCHEMA: JsonObject = {
  type: 'object',
  properties: {
    message: { type: 'string', description: 'What to ask the agent (sent as a text part).' },
    contextId: {
      type: 'string',
      description: 'Continue an earlier conversation: the contextId returned in _meta of a previous result.',
    },
    taskId: {
      type: 'string',
      description: 'Continue a task that asked for input: the taskId returned with an input-required result.',
    },
    data: {
      type: 'object',
      additionalProperties: true,
      description: 'Structured input for the agent (sent as a data part).',
    },
  },
  required: ['message'],
  additionalProperties: false,
};

/** The MCP tools for an agent card. Tool names are MCP-safe versions of the skill ids. */
export function toolsForCard(card: AgentCard): JsonObject[] {
  const tools: JsonObject[] = [
    {
      name: AGENT_TOOL,
      title: card.name,
      description: `Send a message to the A2A agent "${card.name}". ${card.description}`.trim(),
      inputSchema: INPUT_SCHEMA,
      annotations: { title: card.name, openWorldHint: true },
      execution: { taskSupport: 'optional' },
      _meta: { [META_KEY]: { agent: card.name } },
    },
  ];
  const taken = new Set([AGENT_TOOL]);
  for (const skill of card.skills) {
    let name = skillToolName(skill.id);
    while (taken.has(name)) name = `${name}_`;
    taken.add(name);
    const extras = [
      skill.tags.length ? `Tags: ${skill.tags.join(', ')}.` : '',
      skill.examples.length ? `Examples: ${skill.examples.map((e) => JSON.stringify(e)).join('; ')}.` : '',
    ].filter(Boolean);
    tools.push({
      name,
      title: skill.name,
      description: [skill.description, ...extras].join(' ').trim() || skill.name,
      inputSchema: INPUT_SCHEMA,
      annotations: { title: skill.name, openWorldHint: true },
      execution: { taskSupport: 'optional' },
      _meta: { [META_KEY]: { agent: card.name, skill: skill.id } },
    });
  }
  return tools;
}

/** The skill a bridged tool stands for (undefined for the agent tool). */
export function skillOf(tool: JsonObject): string | undefined {
  const meta = (tool._meta as Record<string, { skill?: string }> | undefined)?.[META_KEY];
  return meta?.skill;
}

/** MCP tool names allow A-Z a-z 0-9 _ - . (MCP 2025-11-25 §Tool names). */
export function skillToolName(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return clean || 'skill';
}

export interface AgentToolArgs {
  message: string;
  contextId?: string;
  taskId?: string;
  data?: JsonObject;
}

export function parseToolArgs(args: unknown): AgentToolArgs {
  const a = (args ?? {}) as Record<string, unknown>;
  const bad = (detail: string) => new GatewayError('SWY_INVALID_PARAMS', { detail });
  if (typeof a.message !== 'string') throw bad('arguments.message must be a string');
  for (const k of ['contextId', 'taskId'] as const)
    if (a[k] !== undefined && typeof a[k] !== 'string') throw bad(`arguments.${k} must be a string`);
  if (a.data !== undefined && (typeof a.data !== 'object' || a.data === null || Array.isArray(a.data)))
    throw bad('arguments.data must be an object');
  const extra = Object.keys(a).filter((k) => !['message', 'contextId', 'taskId', 'data'].includes(k));
  if (extra.length) throw bad(`unknown argument(s): ${extra.join(', ')}`);
  return a as unknown as AgentToolArgs;
}

/**
 * Message metadata saying how many agents deep a message is, when a gateway's agent sends it: the
 * receiving gateway counts on from there, so agents calling each other across gateways stop at
 * the depth limit too. A sender can only make it smaller than it is, never skip the limit.
 */
export const AGENT_DEPTH_KEY = 'dev.switchyard/agent-depth';

/** The A2A message for a bridged tool call's arguments (`depth`: when an agent makes the call). */
export function toolMessage(args: AgentToolArgs, skill: string | undefined, depth = 0): Message {
  const parts: Part[] = [textPart(args.message)];
  if (args.data) parts.push(dataPart(args.data));
  const metadata: JsonObject = {
    ...(skill ? { skill } : {}),
    ...(depth > 0 ? { [AGENT_DEPTH_KEY]: depth } : {}),
  };
  return a2aMessage(
    'user',
    parts,
    { contextId: args.contextId, taskId: args.taskId },
    Object.keys(metadata).length ? metadata : undefined,
  );
}

export function sendRequest(message: Message): SendMessageRequest {
  return {
    tenant: '',
    message,
    configuration: {
      acceptedOutputModes: [],
      taskPushNotificationConfig: undefined,
      returnImmediately: false,
    },
    metadata: undefined,
  };
}

export interface AgentCallContext {
  client: Client;
  card: AgentCard;
  upstream: string;
  /** The skill the tool stands for (undefined for the agent tool). */
  skill?: string;
  timeoutMs: number;
  cancellation?: Cancellation;
  related?: RelatedSink;
  /** The caller's progress token, when it asked for progress. */
  progressToken?: string | number;
  /** How many agents deep the call is (0: a client's own call). */
  depth?: number;
}

/** Run one bridged tool call against the agent. */
export async function callAgent(ctx: AgentCallContext, args: AgentToolArgs): Promise<CallOutcome> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new TimeoutSignal()), ctx.timeoutMs);
  let taskId = args.taskId;
  let contextId = args.contextId;
  const stopListening = ctx.cancellation?.onCancel((reason) => {
    abort.abort(new CancelSignal(reason));
    // MCP cancellation → A2A CancelTask for the task this call drives.
    if (taskId) void ctx.client.cancelTask({ tenant: '', id: taskId, metadata: undefined }).catch(() => {});
  });
  try {
    let message = toolMessage(args, ctx.skill, ctx.depth);
    let progress = 0;
    for (let round = 0; ; round++) {
      const outcome = await askAgent(
        ctx,
        message,
        abort.signal,
        (t) => {
          taskId = t.taskId || taskId;
          contextId = t.contextId || contextId;
        },
        () => ++progress,
      );
      if (outcome.kind === 'message') return { result: messageResult(outcome.message) };
      const task = outcome.task;
      taskId = task.id;
      contextId = task.contextId;
      const state = task.status?.state;
      if (state !== TaskState.TASK_STATE_INPUT_REQUIRED || round >= MAX_INPUT_ROUNDS) {
        return { result: taskResult(task) };
      }
      const answer = await elicit(ctx, task, abort.signal);
      if (answer === undefined) return { result: taskResult(task) };
      message = a2aMessage('user', [textPart(answer)], { contextId, taskId });
    }
  } catch (err) {
    const reason: unknown = abort.signal.reason;
    if (reason instanceof CancelSignal) throw new CallCancelled(reason.reason);
    if (reason instanceof TimeoutSignal)
      throw new GatewayError('SWY_UPSTREAM_TIMEOUT', {
        upstream: ctx.upstream,
        method: 'SendMessage',
        timeoutMs: ctx.timeoutMs,
      });
    if (err instanceof GatewayError) throw err;
    // An A2A error answer (task not found, unsupported operation …) is the tool's error, for the model to see.
    if (err instanceof A2AError)
      return { result: errorResult(`The agent answered with an error: ${err.message}`) };
    throw new GatewayError('SWY_UPSTREAM_FAILED', {
      upstream: ctx.upstream,
      method: 'SendMessage',
      detail: (err as Error).message,
    });
  } finally {
    clearTimeout(timer);
    stopListening?.();
  }
}

/** What the agent answered a message with: a message, or the task it started or continued. */
type AgentAnswer = { kind: 'message'; message: Message } | { kind: 'task'; task: Task };

/** One SendMessage (streaming when the agent supports it), folded into a final message or task. */
async function askAgent(
  ctx: AgentCallContext,
  message: Message,
  signal: AbortSignal,
  seen: (ids: { taskId: string; contextId: string }) => void,
  nextProgress: () => number,
): Promise<AgentAnswer> {
  const request = sendRequest(message);
  if (!ctx.card.capabilities?.streaming) {
    const result = await ctx.client.sendMessage(request, { signal });
    return 'role' in result ? { kind: 'message', message: result } : { kind: 'task', task: result };
  }
  let task: Task | undefined;
  for await (const event of ctx.client.sendMessageStream(request, { signal })) {
    const p = (event as StreamResponse).payload;
    if (!p) continue;
    switch (p.$case) {
      case 'message':
        return { kind: 'message', message: p.value };
      case 'task':
        task = { ...p.value, artifacts: [...p.value.artifacts] };
        seen({ taskId: task.id, contextId: task.contextId });
        break;
      case 'statusUpdate': {
        const u = p.value;
        seen(u);
        task ??= emptyTask(u.taskId, u.contextId);
        task.status = u.status;
        const text = partsText(u.status?.message?.parts);
        if (ctx.progressToken !== undefined && ctx.related) {
          ctx.related.progress({
            progressToken: ctx.progressToken,
            progress: nextProgress(),
            message: text || stateName(u.status?.state),
          });
        }
        break;
      }
      case 'artifactUpdate': {
        const u = p.value;
        seen(u);
        task ??= emptyTask(u.taskId, u.contextId);
        if (u.artifact) task.artifacts = mergeArtifact(task.artifacts, u.artifact, u.append);
        break;
      }
    }
  }
  if (!task) throw new Error('the agent closed the stream without a task or message');
  return { kind: 'task', task };
}

async function elicit(ctx: AgentCallContext, task: Task, signal: AbortSignal): Promise<string | undefined> {
  if (!ctx.related?.supports?.('elicitation/create')) return undefined;
  const question = partsText(task.status?.message?.parts) || 'The agent needs more input to continue.';
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const out = await ctx.related.request(
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'elicitation/create',
        params: {
          message: question,
          requestedSchema: {
            type: 'object',
            properties: { answer: { type: 'string', title: 'Answer', description: question } },
            required: ['answer'],
          },
        },
      },
      controller.signal,
    );
    if (!('result' in out) || out.result.action !== 'accept') return undefined;
    const answer = (out.result.content as JsonObject | undefined)?.answer;
    return typeof answer === 'string' ? answer : undefined;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export function mergeArtifact(list: Artifact[], update: Artifact, append: boolean): Artifact[] {
  const i = list.findIndex((a) => a.artifactId === update.artifactId);
  if (i === -1) return [...list, update];
  const next = [...list];
  next[i] = append ? { ...list[i]!, parts: [...list[i]!.parts, ...update.parts] } : update;
  return next;
}

export function messageResult(message: Message): JsonObject {
  const { content, structured } = partsToMcp(message.parts);
  return {
    content,
    ...(structured ? { structuredContent: structured } : {}),
    _meta: { [META_KEY]: { contextId: message.contextId || undefined, messageId: message.messageId } },
  };
}

/** The MCP result for a task in whatever state it stopped in. */
export function taskResult(task: Task): JsonObject {
  const state = task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
  const statusText = partsText(task.status?.message?.parts);
  const meta = { [META_KEY]: { taskId: task.id, contextId: task.contextId, state: stateName(state) } };
  const parts = task.artifacts.flatMap((a) => a.parts);
  const { content, structured } = partsToMcp(parts);
  switch (state) {
    case TaskState.TASK_STATE_COMPLETED: {
      if (content.length === 0 && statusText) content.push({ type: 'text', text: statusText });
      return { content, ...(structured ? { structuredContent: structured } : {}), _meta: meta };
    }
    case TaskState.TASK_STATE_FAILED:
    case TaskState.TASK_STATE_REJECTED:
    case TaskState.TASK_STATE_CANCELED: {
      const what = stateName(state);
      return {
        ...errorResult(`The agent's task ${what}${statusText ? `: ${statusText}` : '.'}`, content),
        _meta: meta,
      };
    }
    case TaskState.TASK_STATE_INPUT_REQUIRED:
    case TaskState.TASK_STATE_AUTH_REQUIRED: {
      const need = state === TaskState.TASK_STATE_AUTH_REQUIRED ? 'authorization' : 'more input';
      content.push({
        type: 'text',
        text:
          `The agent needs ${need}${statusText ? `: ${statusText}` : '.'} ` +
          `To continue, call this tool again with taskId "${task.id}" and contextId "${task.contextId}".`,
      });
      return { content, _meta: meta };
    }
    default:
      content.push({
        type: 'text',
        text: `The agent's task is ${stateName(state)} (taskId "${task.id}").${statusText ? ` ${statusText}` : ''}`,
      });
      return { content, _meta: meta };
  }
}

export function partsTextOf(message: Message | undefined): string {
  return partsText(message?.parts);
}

/** A tool execution error (`isError`), for the model to see. */
export function errorResult(text: string, content: JsonObject[] = []): JsonObject {
  return { content: [...content, { type: 'text', text }], isError: true };
}

export function stateName(state: TaskState | undefined): string {
  switch (state) {
    case TaskState.TASK_STATE_SUBMITTED:
      return 'submitted';
    case TaskState.TASK_STATE_WORKING:
      return 'working';
    case TaskState.TASK_STATE_COMPLETED:
      return 'completed';
    case TaskState.TASK_STATE_FAILED:
      return 'failed';
    case TaskState.TASK_STATE_CANCELED:
      return 'canceled';
    case TaskState.TASK_STATE_INPUT_REQUIRED:
      return 'input-required';
    case TaskState.TASK_STATE_REJECTED:
      return 'rejected';
    case TaskState.TASK_STATE_AUTH_REQUIRED:
      return 'auth-required';
    default:
      return 'unknown';
  }
}

function emptyTask(id: string, contextId: string): Task {
  return { id, contextId, status: undefined, artifacts: [], history: [], metadata: undefined };
}

class CancelSignal {
  constructor(readonly reason: unknown) {}
}
class TimeoutSignal {}
