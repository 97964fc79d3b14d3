/**
 * Declared agents as MCP tools: `agent.<name>` for each agent, offered through the federated
 * route table like any upstream's tools, so policy, rate limits, argument validation and the
 * ledger treat a call to an agent exactly like a call to a tool.
 *
 * Input `{ message, contextId? }`; the answer is the agent's text, with the conversation id, steps
 * and token usage in `_meta` (pass `contextId` back to continue the conversation). Progress
 * notifications report each model turn and tool call when the client asked for progress. A model
 * failure is a tool error (`isError`), so a calling model can react to it.
 */
import type { AgentConfig } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { JsonObject, RpcNotification } from '../mcp/jsonrpc.js';
import { CallCancelled, type CallOutcome } from '../mcp/upstream/forwarder.js';
import {
  EMPTY_LISTS,
  type AgentsSpec,
  type Backend,
  type BackendCallOptions,
  type UpstreamLists,
} from '../mcp/upstream/backend.js';
import type { AgentRuntime, RunResult } from './runtime.js';
import { AGENTS_UPSTREAM } from './tools.js';

/** Where agent results carry the conversation id, steps and usage. */
export const AGENT_META_KEY = 'dev.switchyard/agent';

const INPUT_SCHEMA: JsonObject = {
  type: 'object',
  properties: {
    message: { type: 'string', description: 'What to ask the agent.' },
    contextId: {
      type: 'string',
      description: `Continue a conversation: the contextId from _meta["${AGENT_META_KEY}"] of an earlier answer.`,
    },
  },
  required: ['message'],
  additionalProperties: false,
};

export class AgentsBackend implements Backend {
  readonly kind = 'agent';
  readonly name = AGENTS_UPSTREAM;
  readonly origin = 'config';
  readonly spec: AgentsSpec = { name: AGENTS_UPSTREAM, prefix: 'always' };
  readonly state = 'ready';
  readonly lastError = undefined;
  readonly info = undefined;
  inFlight = 0;
  private listed: { agents: readonly AgentConfig[]; lists: UpstreamLists } | undefined;

  constructor(
    private readonly agents: () => readonly AgentConfig[],
    private readonly runtime: AgentRuntime,
  ) {}

  /** One tool per served agent, rebuilt when they change. */
  get lists(): UpstreamLists {
    const agents = this.agents();
    if (!sameAgents(this.listed?.agents, agents)) {
      const tools = agents.map((a): JsonObject => ({
        name: a.name,
        title: a.name,
        description:
          a.description ??
          (a.skills.length
            ? a.skills.map((s) => s.description).join(' ')
            : `The agent "${a.name}" (model ${a.model}).`),
        inputSchema: INPUT_SCHEMA,
        annotations: { title: a.name, openWorldHint: true },
      }));
      this.listed = { agents, lists: { ...EMPTY_LISTS, tools } };
    }
    return this.listed!.lists;
  }

  get lastKnownLists(): UpstreamLists {
    return this.lists;
  }

  readonly firstAttempt = Promise.resolve();

  start(): Promise<void> {
    return this.firstAttempt;
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  notify(_n: RpcNotification): Promise<void> {
    return Promise.resolve();
  }

  async call(method: string, params: JsonObject | undefined, opts: BackendCallOptions): Promise<CallOutcome> {
    if (method !== 'tools/call') return { error: { code: -32601, message: `Method not found: ${method}` } };
    const caller = opts.caller;
    if (!caller) throw new Error('agent tools are called on behalf of a principal');
    const args = (params?.arguments ?? {}) as { message?: unknown; contextId?: unknown };
    const progressToken = (params?._meta as JsonObject | undefined)?.progressToken;
    const controller = new AbortController();
    const stopListening = opts.cancellation?.onCancel((reason) => controller.abort(reason));
    let progress = 0;
    const report = (message: string) => {
      if (progressToken === undefined || !opts.related) return;
      opts.related.progress({ progressToken, progress: ++progress, message });
    };
    this.inFlight++;
    try {
      const result = await this.runtime.run({
        agent: String(params?.name),
        principal: caller.principal,
        depth: caller.depth + 1,
        message: String(args.message ?? ''),
        contextId: typeof args.contextId === 'string' ? args.contextId : undefined,
        signal: controller.signal,
        parentSpan: caller.span,
        client: opts.related,
        events: {
          toolCalls: (turn, _said, tools) => report(`step ${turn}: calling ${tools.join(', ')}`),
          toolResult: (name, ok) => report(`${name} ${ok ? 'answered' : 'failed'}`),
        },
      });
      return {
        result: {
          content: [{ type: 'text', text: result.text }],
          _meta: {
            [AGENT_META_KEY]: { contextId: result.contextId, ...runSummary(result) },
          },
        },
      };
    } catch (err) {
      if (controller.signal.aborted) throw new CallCancelled(controller.signal.reason);
      // Refusals (depth, someone else's conversation) are errors of the call; a failing model is
      // the tool's failure, reported as its result.
      if (
        err instanceof GatewayError &&
        !err.code.startsWith('SWY_MODEL') &&
        err.code !== 'SWY_ENGINE_MISSING'
      )
        throw err;
      return {
        result: { content: [{ type: 'text', text: (err as Error).message }], isError: true },
      };
    } finally {
      stopListening?.();
      this.inFlight--;
    }
  }
}

/**
 * What a run reports to whoever asked (MCP `_meta`, A2A status metadata): the model, why it
 * stopped, steps, tool calls, token usage, and where the time went in ms.
 */
export function runSummary(r: RunResult) {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    model: r.model,
    stop: r.stop,
    steps: r.steps,
    toolCalls: r.toolCalls,
    usage: r.usage,
    timings: { totalMs: round(r.totalMs), modelMs: round(r.modelMs), toolMs: round(r.toolMs) },
  };
}

function sameAgents(a: readonly AgentConfig[] | undefined, b: readonly AgentConfig[]): boolean {
  return !!a && a.length === b.length && a.every((x, i) => x === b[i]);
}
