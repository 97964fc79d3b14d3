/**
 * The agent runtime: runs one message through a declared agent for a principal. Both fronts use
 * it: the A2A executor (`a2a-executor.ts`, /a2a/<name>) and the MCP tool `agent.<name>`
 * (`backend.ts`).
 *
 * One run: check the call depth → load the conversation (contextId) → pick the tools this principal
 * may use → the tool loop (loop.ts), each tool call through the pipeline as that principal →
 * keep the new messages → count steps, tokens and model time.
 */
import { randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import type { AgentConfig, Config, ModelConfig } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { Pipeline } from '../gateway/pipeline.js';
import type { RouteTable } from '../mcp/federation/route-table.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import { Cancellation, type CallOutcome, type RelatedSink } from '../mcp/upstream/forwarder.js';
import { mcpSubject, type Authorizer } from '../policy/authz.js';
import type { Principal } from '../policy/principal.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { Tracing } from '../telemetry/traces.js';
import type { Metrics } from '../telemetry/metrics.js';
import { runLoop, type LoopEvents, type LoopResult, type ToolOutcome } from './loop.js';
import type { ChatMessage, ModelProvider } from './provider.js';
import { createProvider } from './providers/index.js';
import { agentTools, type AgentTool } from './tools.js';

/** Most stored messages read back for a conversation; older ones are past any context window. */
const HISTORY_LIMIT = 400;

export interface AgentsCore {
  readonly config: Config;
  readonly store: Store;
  readonly authz: Authorizer;
  readonly pipeline: Pipeline;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly tracing: Tracing | undefined;
  routes(): RouteTable;
  /** The declared agents the license policy lets run. */
  servedAgents(): AgentConfig[];
}

export interface RunRequest {
  agent: string;
  principal: Principal;
  /** How many agents deep this run is: 1 when a client asked, +1 for each agent in between. */
  depth: number;
  message: string;
  /** Continue this conversation (A2A contextId); a new one is started without. */
  contextId?: string;
  signal: AbortSignal;
  events?: LoopEvents;
  /** The span of the request that asked (when tracing is on). */
  parentSpan?: Span;
  /**
   * The MCP client that asked, when one did: what the agent's tools ask of a user (elicitation,
   * roots, sampling) goes to it. Without one they are told no client can answer.
   */
  client?: RelatedSink;
}

export interface RunResult extends LoopResult {
  agent: string;
  model: string;
  contextId: string;
  /** The whole run, history load and save included, in ms. */
  totalMs: number;
}

export class AgentRuntime {
  /** One provider per model, rebuilt when its config entry changes. */
  private readonly providers = new Map<string, { spec: string; provider: ModelProvider }>();

  constructor(private readonly core: AgentsCore) {}

  agent(name: string): AgentConfig | undefined {
    return this.core.servedAgents().find((a) => a.name === name);
  }

  model(agent: AgentConfig): ModelConfig {
    const model = this.core.config.models.find((m) => m.name === agent.model);
    // The config schema checks every agent's model exists.
    if (!model) throw new Error(`agent "${agent.name}" names unknown model "${agent.model}"`);
    return model;
  }

  async run(req: RunRequest): Promise<RunResult> {
    const agent = this.agent(req.agent);
    if (!agent) throw new GatewayError('SWY_TOOL_NOT_FOUND', { name: `agent.${req.agent}` });
    const limit = this.core.config.agentCallDepth;
    if (req.depth > limit)
      throw new GatewayError('SWY_AGENT_DEPTH_EXCEEDED', { agent: agent.name, depth: req.depth, limit });
    const model = this.model(agent);
    const { principal } = req;
    const started = performance.now();

    const contextId = req.contextId ?? randomUUID();
    const stored = req.contextId
      ? await this.core.store.conversations.load(contextId, HISTORY_LIMIT)
      : undefined;
    // A context belongs to the principal and agent that started it.
    if (stored && (stored.owner !== principal.name || stored.agent !== agent.name))
      throw new GatewayError('SWY_INVALID_PARAMS', {
        detail: `contextId "${contextId}" is a conversation of another agent or principal; start a new one`,
      });

    const routes = this.core.routes();
    const tools = agentTools(agent, routes, (name) => this.mayCall(principal, routes, name));
    const tracing = this.core.tracing;
    const span = tracing?.startAgent(req.parentSpan, {
      agent: agent.name,
      model: model.name,
      contextId,
      depth: req.depth,
    });
    const provider = this.provider(model);
    let outcome = 'error';
    try {
      const result = await runLoop({
        provider: span && tracing ? traced(provider, model, tracing, span) : provider,
        instructions: agent.instructions,
        earlier: (stored?.messages ?? []).filter(isChatMessage),
        input: req.message,
        tools,
        maxSteps: agent.maxSteps,
        temperature: agent.temperature,
        maxTokens: agent.maxTokens,
        contextWindow: model.contextWindow,
        signal: req.signal,
        callTool: (tool, args) => this.callTool(req, agent, tool, args, contextId, span),
        refuse: (name) => this.core.pipeline.refuseAgentTool(principal, agent.name, name, contextId),
        events: req.events,
      });
      await this.core.store.conversations.append(contextId, agent.name, principal.name, result.added);
      outcome = result.stop;
      const m = this.core.metrics;
      m.agentSteps.labels(agent.name).inc(result.steps);
      m.agentTokens.labels(agent.name, model.name, 'prompt').inc(result.usage.promptTokens);
      m.agentTokens.labels(agent.name, model.name, 'completion').inc(result.usage.completionTokens);
      m.modelDuration.labels(model.name).observe(result.modelMs / 1000);
      if (span) tracing!.endGenAi(span, { usage: result.usage, finishReason: result.stop });
      return {
        ...result,
        agent: agent.name,
        model: model.name,
        contextId,
        totalMs: performance.now() - started,
      };
    } catch (err) {
      if (req.signal.aborted) outcome = 'cancelled';
      if (span) tracing!.endGenAi(span, { error: errorType(err, req.signal) });
      throw err;
    } finally {
      this.core.metrics.agentRuns.labels(agent.name, outcome).inc();
    }
  }

  /** Free the models (engine memory, connections). */
  async close(): Promise<void> {
    const all = [...this.providers.values()];
    this.providers.clear();
    await Promise.all(all.map((p) => p.provider.close().catch(() => {})));
  }

  private provider(model: ModelConfig): ModelProvider {
    const spec = JSON.stringify(model);
    const current = this.providers.get(model.name);
    if (current?.spec === spec) return current.provider;
    if (current) void current.provider.close().catch(() => {});
    const provider = createProvider(model);
    this.providers.set(model.name, { spec, provider });
    return provider;
  }

  /** Whether policy lets the principal call a gateway tool (the pipeline checks again on the call). */
  private mayCall(principal: Principal, routes: RouteTable, name: string): boolean {
    const route = routes.tool(name);
    const subject = mcpSubject({
      method: 'tools/call',
      params: { name },
      upstream: route?.upstream.name,
      target: name,
      upstreamTarget: route?.name,
    });
    return !subject || this.core.authz.decide(principal, subject).effect === 'allow';
  }

  /** One tool call of the loop, through the data path as the principal, cancelled with the run. */
  private async callTool(
    req: RunRequest,
    agent: AgentConfig,
    tool: AgentTool,
    args: JsonObject,
    contextId: string,
    span: Span | undefined,
  ): Promise<ToolOutcome> {
    const cancellation = new Cancellation();
    const abort = () => cancellation.cancel(req.signal.reason ?? 'the agent run was cancelled');
    req.signal.addEventListener('abort', abort, { once: true });
    try {
      const outcome = await this.core.pipeline.callTool(req.principal, tool.gatewayName, args, {
        cancellation,
        related: req.client ? askingClient(req.client) : NO_CLIENT,
        context: contextId,
        agent: agent.name,
        depth: req.depth,
        parentSpan: span,
      });
      return toolOutcome(outcome);
    } finally {
      req.signal.removeEventListener('abort', abort);
    }
  }
}

/** A provider whose turns are `chat` spans under the agent's span. */
function traced(provider: ModelProvider, model: ModelConfig, tracing: Tracing, parent: Span): ModelProvider {
  const wire = 'openai' in model ? model.openai.model : model.name;
  return {
    kind: provider.kind,
    name: provider.name,
    close: () => provider.close(),
    async chat(req) {
      const span = tracing.startChat(parent, {
        provider: provider.kind === 'openai' ? 'openai' : 'llama.cpp',
        model: wire,
        temperature: req.temperature,
        maxTokens: req.maxTokens,
      });
      try {
        const result = await provider.chat(req);
        tracing.endGenAi(span, { usage: result.usage, finishReason: result.finishReason });
        return result;
      } catch (err) {
        tracing.endGenAi(span, { error: errorType(err, req.signal) });
        throw err;
      }
    },
  };
}

function errorType(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'cancelled';
  return err instanceof GatewayError ? err.code : 'SWY_INTERNAL';
}

/**
 * The calling client as seen by a tool inside the run: it answers the tool's requests (MCP
 * §Elicitation, §Roots, §Sampling) when it declared the capability; the tool's progress and log
 * notifications are the agent's business and are not relayed (the agent reports its own steps).
 */
function askingClient(client: RelatedSink): RelatedSink {
  return {
    progress: () => {},
    notification: () => {},
    request: (req, signal) =>
      client.supports?.(req.method) ? client.request(req, signal) : NO_CLIENT.request(req, signal),
    supports: (method) => client.supports?.(method) ?? false,
  };
}

/** A tool inside an agent run has no client to ask (elicitation, sampling) or to notify. */
const NO_CLIENT: RelatedSink = {
  progress: () => {},
  notification: () => {},
  request: (req) =>
    Promise.resolve({
      error: { code: -32601, message: `${req.method} is not available to tools called by an agent` },
    }),
  supports: () => false,
};

/** An MCP tool answer as text for the model. */
export function toolOutcome(outcome: CallOutcome): ToolOutcome {
  if ('error' in outcome) return { text: outcome.error.message, isError: true };
  const r = outcome.result;
  const parts: string[] = [];
  for (const c of (r.content as JsonObject[] | undefined) ?? []) {
    if (c.type === 'text') parts.push(String(c.text));
    else if (c.type === 'resource') {
      const res = c.resource as JsonObject | undefined;
      parts.push(typeof res?.text === 'string' ? res.text : `[resource ${String(res?.uri)}]`);
    } else if (c.type === 'resource_link') parts.push(`[resource ${String(c.uri)}]`);
    else parts.push(`[${String(c.type)}${c.mimeType ? ` ${String(c.mimeType)}` : ''}]`);
  }
  if (parts.length === 0 && r.structuredContent !== undefined)
    parts.push(JSON.stringify(r.structuredContent));
  return { text: parts.join('\n'), isError: r.isError === true };
}

function isChatMessage(m: unknown): m is ChatMessage {
  const v = m as { role?: unknown; content?: unknown } | null;
  return (
    !!v &&
    (v.role === 'system' || v.role === 'user' || v.role === 'assistant' || v.role === 'tool') &&
    typeof v.content === 'string'
  );
}
