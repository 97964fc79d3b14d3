/**
 * MCP tools → an A2A agent.
 *
 * An MCP upstream (or a named group of gateway tools) is served as an A2A agent: its card has one
 * skill per tool (skill id = the gateway's tool name), and the tools' JSON Schemas travel in a card
 * extension (`MCP_TOOLS_EXTENSION`), since A2A skills have no input schema.
 *
 * A message with a data part `{ tool, arguments }` calls that tool. Tool content becomes artifact
 * parts, structured content a data part, `isError` a FAILED task, MCP progress WORKING status
 * updates. A plain-text message is passed to the only tool when there is exactly one and it takes a
 * single string; anything else gets a reply that lists the skills and how to call them.
 */
import { randomUUID } from 'node:crypto';
import { TaskState, type AgentCard, type Message } from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import type { JsonObject } from '../mcp/jsonrpc.js';
import type { Principal } from '../policy/principal.js';
import { Cancellation, type CallOutcome, type RelatedSink } from '../mcp/upstream/forwarder.js';
import type { Span } from '@opentelemetry/api';
import { agentSays, newTask, principalOf, spanOf, status } from '../a2a/executor-events.js';
import { dataPart, mcpToParts, partsText, textPart } from './parts.js';

/** Card extension carrying each skill's MCP tool schemas (documented in docs/a2a.md). */
export const MCP_TOOLS_EXTENSION = 'https://switchyard.dev/a2a/extensions/mcp-tools/v1';

export interface ServedTool {
  /** The gateway's name for the tool (also the skill id). */
  name: string;
  tool: JsonObject;
}

export interface ServedAgentDeps {
  /** The tools this agent offers now (they follow the upstream's list). */
  tools(): ServedTool[];
  callTool(
    principal: Principal,
    name: string,
    args: JsonObject,
    opts: {
      related: RelatedSink;
      cancellation: Cancellation;
      progressToken?: string;
      context?: string;
      /** The A2A request's span: the call is traced under it. */
      parentSpan?: Span;
    },
  ): Promise<CallOutcome>;
}

export function servedCard(
  agent: { name: string; description: string; version: string },
  tools: ServedTool[],
): AgentCard {
  return {
    name: agent.name,
    description: agent.description,
    supportedInterfaces: [],
    provider: { organization: 'Switchyard gateway', url: 'https://github.com/switchyard' },
    version: agent.version,
    capabilities: {
      streaming: true,
      pushNotifications: true,
      extendedAgentCard: false,
      extensions: [
        {
          uri: MCP_TOOLS_EXTENSION,
          description:
            'JSON Schemas of the MCP tool behind each skill (skill id → inputSchema/outputSchema).',
          required: false,
          params: {
            tools: Object.fromEntries(
              tools.map((t) => [
                t.name,
                {
                  inputSchema: t.tool.inputSchema ?? { type: 'object' },
                  ...(t.tool.outputSchema ? { outputSchema: t.tool.outputSchema } : {}),
                },
              ]),
            ),
          },
        },
      ],
    },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['text/plain', 'application/json'],
    skills: tools.map((t) => ({
      id: t.name,
      name: typeof t.tool.title === 'string' ? t.tool.title : t.name,
      description: typeof t.tool.description === 'string' ? t.tool.description : t.name,
      tags: ['mcp-tool'],
      examples: [`{"tool": "${t.name}", "arguments": {…}}`],
      inputModes: ['application/json'],
      outputModes: ['text/plain', 'application/json'],
      securityRequirements: [],
    })),
    signatures: [],
  };
}

/** What a message asks for: a tool call, or nothing we can run (→ the help reply). */
export function parseRequest(
  message: Message,
  tools: ServedTool[],
): { tool: string; args: JsonObject } | { help: string } {
  for (const p of message.parts) {
    if (p.content?.$case !== 'data') continue;
    const v = p.content.value as JsonObject | undefined;
    if (v && typeof v.tool === 'string') {
      if (!tools.some((t) => t.name === v.tool))
        return { help: `Unknown skill "${v.tool}".\n${helpText(tools)}` };
      const args = v.arguments ?? {};
      if (typeof args !== 'object' || args === null || Array.isArray(args))
        return { help: `"arguments" must be an object.\n${helpText(tools)}` };
      return { tool: v.tool, args: args as JsonObject };
    }
  }
  const text = partsText(message.parts.filter((p) => p.content?.$case === 'text'));
  const only = tools.length === 1 ? tools[0]! : undefined;
  const key = only && singleStringInput(only.tool);
  if (only && key && text) return { tool: only.name, args: { [key]: text } };
  return { help: helpText(tools) };
}

function singleStringInput(tool: JsonObject): string | undefined {
  const schema = tool.inputSchema as JsonObject | undefined;
  const props = schema?.properties as Record<string, JsonObject> | undefined;
  const keys = props ? Object.keys(props) : [];
  return keys.length === 1 && props![keys[0]!]?.type === 'string' ? keys[0] : undefined;
}

export function helpText(tools: ServedTool[]): string {
  const lines = tools.map((t) =>
    `- ${t.name}: ${typeof t.tool.description === 'string' ? t.tool.description : ''}`.trimEnd(),
  );
  return (
    'This agent runs MCP tools. Send a message with a data part {"tool": "<skill id>", "arguments": {…}} ' +
    '(the input schema of each skill is in the agent card extension ' +
    `${MCP_TOOLS_EXTENSION}).\nSkills:\n${lines.join('\n') || '(none available right now)'}`
  );
}

/** A task that may wait for the client's answer to a question (INPUT_REQUIRED). */
export interface InputWait {
  contextId: string;
  /** Set while the task waits for the client's answer. */
  waiting?: (answer: Message) => void;
  /** Calls `listener` when the task is cancelled. */
  onCancel(listener: () => void): void;
  /** Settles when the task's work is over. */
  done: Promise<void>;
}

/**
 * A message for a task that waits for input is its answer: hand it over and stay until the work
 * is done (its events keep flowing on the same bus). False when the task is not waiting.
 */
export async function answerWaiting(entry: InputWait | undefined, message: Message): Promise<boolean> {
  if (!entry?.waiting) return false;
  entry.waiting(message);
  await entry.done;
  return true;
}

interface Running extends InputWait {
  cancellation: Cancellation;
}

/**
 * MCP elicitation → A2A INPUT_REQUIRED: the question goes out as the status message (with the
 * requested schema in a data part), and the next message the client sends in this task answers
 * it. A data part is taken as the form's content; plain text fills a form with one field.
 */
export async function askForInput(
  entry: InputWait,
  taskId: string,
  bus: ExecutionEventBus,
  params: JsonObject,
  signal: AbortSignal,
): Promise<CallOutcome> {
  const question = typeof params.message === 'string' ? params.message : 'The tool needs input.';
  const schema = (params.requestedSchema as JsonObject | undefined) ?? { type: 'object', properties: {} };
  const fields = Object.keys((schema.properties as JsonObject | undefined) ?? {});
  const how =
    fields.length === 1
      ? `Reply with the ${fields[0]} as text, or a data part {"${fields[0]}": …}.`
      : `Reply with a data part matching the schema (fields: ${fields.join(', ')}).`;
  const asked = agentSays(
    [textPart(`${question}\n${how}`), dataPart({ elicitation: { requestedSchema: schema } })],
    entry.contextId,
    taskId,
  );
  bus.publish(
    AgentEvent.statusUpdate({
      taskId,
      contextId: entry.contextId,
      status: {
        state: TaskState.TASK_STATE_INPUT_REQUIRED,
        timestamp: new Date().toISOString(),
        message: asked,
      },
      metadata: undefined,
    }),
  );
  const answer = await new Promise<Message | undefined>((resolve) => {
    entry.waiting = resolve;
    signal.addEventListener('abort', () => resolve(undefined), { once: true });
    entry.onCancel(() => resolve(undefined));
  });
  entry.waiting = undefined;
  if (!answer) return { result: { action: 'cancel' } };
  bus.publish(
    AgentEvent.statusUpdate(status(taskId, entry.contextId, TaskState.TASK_STATE_WORKING, 'Input received')),
  );
  const data = answer.parts.find((p) => p.content?.$case === 'data')?.content?.value as unknown;
  if (data && typeof data === 'object' && !Array.isArray(data))
    return { result: { action: 'accept', content: data as JsonObject } };
  const text = partsText(answer.parts.filter((p) => p.content?.$case === 'text')).trim();
  if (fields.length === 1 && text)
    return { result: { action: 'accept', content: { [fields[0]!]: coerce(text, schema, fields[0]!) } } };
  return { result: { action: 'decline' } };
}

/** A text answer for a single-field form, typed as the field asks. */
function coerce(text: string, schema: JsonObject, field: string): unknown {
  const type =
    ((schema.properties as Record<string, JsonObject>)[field]?.type as string | undefined) ?? 'string';
  if (type === 'number' || type === 'integer') return Number.isFinite(Number(text)) ? Number(text) : text;
  if (type === 'boolean') return /^(true|yes|y|1)$/i.test(text);
  return text;
}

/** Runs tool calls for A2A messages; tasks and their events are kept by the SDK's request handler. */
export class McpToolsExecutor implements AgentExecutor {
  private readonly running = new Map<string, Running>();

  constructor(private readonly deps: ServedAgentDeps) {}

  execute = async (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = ctx;
    // The answer to a question the tool asked (INPUT_REQUIRED).
    if (await answerWaiting(this.running.get(taskId), ctx.userMessage)) return;
    const tools = this.deps.tools();
    const ask = parseRequest(ctx.userMessage, tools);
    if ('help' in ask) {
      // Not a task: a direct reply (A2A §3.1.1 allows a Message as the answer).
      bus.publish(AgentEvent.message(agentSays([textPart(ask.help)], contextId, ctx.task ? taskId : '')));
      bus.finished();
      return;
    }
    if (!ctx.task) bus.publish(AgentEvent.task(newTask(taskId, contextId, ctx.userMessage)));
    bus.publish(
      AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_WORKING, `Calling ${ask.tool}`)),
    );
    const cancellation = new Cancellation();
    let finish!: () => void;
    const entry: Running = {
      cancellation,
      contextId,
      done: new Promise<void>((r) => (finish = r)),
      onCancel: (listener) => void cancellation.onCancel(listener),
    };
    this.running.set(taskId, entry);
    try {
      const outcome = await this.deps.callTool(principalOf(ctx), ask.tool, ask.args, {
        cancellation,
        progressToken: `a2a-${taskId}`,
        context: contextId,
        parentSpan: spanOf(ctx),
        related: {
          progress: (p) => {
            const text =
              typeof p.message === 'string'
                ? p.message
                : `progress ${String(p.progress)}${p.total !== undefined ? `/${String(p.total)}` : ''}`;
            bus.publish(
              AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_WORKING, text)),
            );
          },
          notification: () => {},
          request: (req, signal) =>
            req.method === 'elicitation/create'
              ? askForInput(entry, taskId, bus, req.params ?? {}, signal)
              : // Sampling and roots have no A2A counterpart.
                Promise.resolve({
                  error: { code: -32601, message: `${req.method} is not available to A2A callers` },
                }),
          supports: (method) => method === 'elicitation/create',
        },
      });
      if (cancellation.cancelled) return;
      if ('error' in outcome) {
        bus.publish(
          AgentEvent.statusUpdate(
            status(taskId, contextId, TaskState.TASK_STATE_FAILED, outcome.error.message),
          ),
        );
        return;
      }
      const result = outcome.result;
      const parts = mcpToParts((result.content as unknown[]) ?? [], result.structuredContent);
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId: randomUUID(),
            name: ask.tool,
            description: `Result of ${ask.tool}`,
            parts,
            metadata: undefined,
            extensions: [],
          },
          append: false,
          lastChunk: true,
          metadata: undefined,
        }),
      );
      const failed = result.isError === true;
      bus.publish(
        AgentEvent.statusUpdate(
          status(
            taskId,
            contextId,
            failed ? TaskState.TASK_STATE_FAILED : TaskState.TASK_STATE_COMPLETED,
            failed ? partsText(parts) || 'The tool reported an error' : undefined,
          ),
        ),
      );
    } catch (err) {
      if (cancellation.cancelled) return;
      bus.publish(
        AgentEvent.statusUpdate(
          status(taskId, contextId, TaskState.TASK_STATE_FAILED, (err as Error).message),
        ),
      );
    } finally {
      this.running.delete(taskId);
      finish();
      bus.finished();
    }
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const running = this.running.get(taskId);
    running?.cancellation.cancel('cancelled by the A2A client');
    // The SDK waits for a terminal state; the executor publishes it since the call was abandoned.
    const contextId = running?.contextId ?? '';
    bus.publish(
      AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_CANCELED, 'Cancelled')),
    );
    bus.finished();
    await Promise.resolve();
  };
}
