/**
 * A declared agent served over A2A: its card, and the executor the SDK's request handler runs
 * for each message (tasks and their events kept in our store by the SDK, like every agent the
 * gateway serves).
 *
 * A message becomes one agent run. While it runs, the model's answer streams as artifact updates
 * (one artifact, appended chunk by chunk; a turn that ends in tool calls is replaced by the next;
 * the last update replaces the pieces with the whole answer),
 * and each step is a WORKING status update naming the tools called. The task ends COMPLETED with
 * the answer (usage and steps in the status metadata), FAILED with the error's message, or
 * CANCELED — cancel aborts the model request and the tool calls in flight. A tool that asks the
 * user something (MCP elicitation) puts the task in INPUT_REQUIRED; the client's next message in the
 * task answers it. Messages with the same contextId continue one conversation (history in the store).
 */
import { randomUUID } from 'node:crypto';
import { TaskState, type AgentCard, type AgentExtension, type Message } from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { AGENT_DEPTH_KEY } from '../bridge/a2a-to-mcp.js';
import { answerWaiting, askForInput, type InputWait } from '../bridge/mcp-to-a2a.js';
import type { RelatedSink } from '../mcp/upstream/forwarder.js';
import { newTask, principalOf, spanOf, status } from '../a2a/executor-events.js';
import { partsText, textPart } from '../bridge/parts.js';
import type { AgentConfig, ModelConfig } from '../config/schema.js';
import { asGatewayError } from '../errors/index.js';
import { AGENT_META_KEY, runSummary } from './backend.js';
import type { AgentRuntime } from './runtime.js';

interface Running extends InputWait {
  controller: AbortController;
}

/** The card of a declared agent (interfaces and security are the front's to add). */
export function agentCard(
  agent: AgentConfig,
  model: ModelConfig,
  version: string,
  extensions: AgentExtension[],
): AgentCard {
  const description = agent.description ?? `An agent running on the model "${model.name}".`;
  const skills = agent.skills.length
    ? agent.skills
    : [{ id: agent.name, name: agent.name, description, tags: [], examples: [] }];
  return {
    name: agent.name,
    description,
    supportedInterfaces: [],
    provider: { organization: 'Switchyard gateway', url: 'https://github.com/switchyard' },
    version,
    capabilities: { streaming: true, pushNotifications: true, extendedAgentCard: false, extensions },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['text/plain'],
    skills: skills.map((s) => ({
      id: s.id,
      name: s.name ?? s.id,
      description: s.description,
      tags: ['agent', ...s.tags],
      examples: s.examples,
      inputModes: ['text/plain', 'application/json'],
      outputModes: ['text/plain'],
      securityRequirements: [],
    })),
    signatures: [],
  };
}

/** How many agents deep the sender was (another gateway's agent says so in the metadata). */
function depthOf(message: Message): number {
  const d = (message.metadata as Record<string, unknown> | undefined)?.[AGENT_DEPTH_KEY];
  return typeof d === 'number' && Number.isInteger(d) && d > 0 ? Math.min(d, 1000) : 0;
}

/** What the message says, as text for the model: text parts, then data parts as JSON. */
export function messageText(message: Message): string {
  const text = partsText(message.parts.filter((p) => p.content?.$case === 'text'));
  const data = message.parts
    .filter((p) => p.content?.$case === 'data')
    .map((p) => JSON.stringify(p.content!.value));
  return [text, ...data].filter(Boolean).join('\n');
}

export class AgentRunExecutor implements AgentExecutor {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly name: string,
    private readonly runtime: AgentRuntime,
  ) {}

  execute = async (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = ctx;
    // The answer to a question one of the agent's tools asked (INPUT_REQUIRED).
    if (await answerWaiting(this.running.get(taskId), ctx.userMessage)) return;
    const controller = new AbortController();
    let finish!: () => void;
    const entry: Running = {
      controller,
      contextId,
      done: new Promise<void>((r) => (finish = r)),
      onCancel: (listener) => controller.signal.addEventListener('abort', listener, { once: true }),
    };
    this.running.set(taskId, entry);
    // The A2A client answers the tools' questions: elicitation becomes INPUT_REQUIRED.
    const client: RelatedSink = {
      progress: () => {},
      notification: () => {},
      supports: (method) => method === 'elicitation/create',
      request: (req, signal) =>
        req.method === 'elicitation/create'
          ? askForInput(entry, taskId, bus, req.params ?? {}, signal)
          : Promise.resolve({
              error: { code: -32601, message: `${req.method} is not available to A2A callers` },
            }),
    };
    if (!ctx.task) bus.publish(AgentEvent.task(newTask(taskId, contextId, ctx.userMessage)));
    bus.publish(AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_WORKING)));
    const artifactId = randomUUID();
    let streamed = false;
    const chunk = (text: string, append: boolean, lastChunk: boolean, metadata?: Record<string, unknown>) =>
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId,
            name: 'answer',
            description: `The answer of ${this.name}`,
            parts: [textPart(text)],
            metadata,
            extensions: [],
          },
          append,
          lastChunk,
          metadata: undefined,
        }),
      );
    try {
      const result = await this.runtime.run({
        agent: this.name,
        principal: principalOf(ctx),
        depth: depthOf(ctx.userMessage) + 1,
        message: messageText(ctx.userMessage),
        contextId,
        signal: controller.signal,
        client,
        parentSpan: spanOf(ctx),
        events: {
          text: (delta) => {
            chunk(delta, streamed, false);
            streamed = true;
          },
          toolCalls: (turn, said, tools) => {
            // What the model said before calling tools is not the answer: clear the artifact.
            if (streamed) chunk('', false, false);
            streamed = false;
            const text = `${said ? `${said.trim()}\n` : ''}Step ${turn}: calling ${tools.join(', ')}`;
            bus.publish(
              AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_WORKING, text)),
            );
          },
        },
      });
      const meta = { [AGENT_META_KEY]: runSummary(result) };
      // The last chunk replaces the streamed pieces with the whole answer as one part, so the
      // stored task (what GetTask and non-streaming clients see) holds it in one piece.
      chunk(result.text, false, true, meta);
      bus.publish(
        AgentEvent.statusUpdate({
          ...status(taskId, contextId, TaskState.TASK_STATE_COMPLETED),
          metadata: meta,
        }),
      );
    } catch (err) {
      if (controller.signal.aborted) return; // cancelTask published CANCELED
      const ge = asGatewayError(err);
      bus.publish(
        AgentEvent.statusUpdate(
          status(taskId, contextId, TaskState.TASK_STATE_FAILED, `${ge.message} (${ge.code})`),
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
    running?.controller.abort(new Error('cancelled by the A2A client'));
    bus.publish(
      AgentEvent.statusUpdate(
        status(taskId, running?.contextId ?? '', TaskState.TASK_STATE_CANCELED, 'Cancelled'),
      ),
    );
    bus.finished();
    await Promise.resolve();
  };
}
