/**
 * Behind each agent's name: one Express app with the A2A SDK's handlers for its card, JSON-RPC
 * and HTTP+JSON (each also accepting v0.3 requests), over one `A2ARequestHandler`: the proxy for
 * an upstream agent, or the SDK's DefaultRequestHandler (tasks in our store) for MCP tools served
 * as an agent and for the declared agents the gateway runs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { AGENT_CARD_PATH, AgentCard } from '@a2a-js/sdk';
import {
  DefaultRequestHandler,
  UnauthenticatedUser,
  type A2ARequestHandler,
  type User,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler } from '@a2a-js/sdk/server/express';
import { legacyAgentCardRouter } from '@a2a-js/sdk/compat/v0_3/server/express';
import express from 'express';
import type { AgentRuntime } from '../agents/runtime.js';
import type { Config } from '../config/schema.js';
import type { Pipeline } from '../gateway/pipeline.js';
import type { Backend } from '../mcp/upstream/backend.js';
import type { ResolveHost } from '../policy/egress.js';
import type { Principal } from '../policy/principal.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { AgentRunExecutor } from '../agents/a2a-executor.js';
import { McpToolsExecutor } from '../bridge/mcp-to-a2a.js';
import { sendJson } from '../http/respond.js';
import type { AgentEntry, AgentRegistry } from './front-agents.js';
import { limitParts } from './front-part-limits.js';
import { overriding } from './override.js';
import type { TaskOwnership } from './ownership.js';
import { proxyHandler } from './proxy.js';
import { guardedPushStore, PushDelivery } from './push.js';
import type { A2aUpstream } from './upstream.js';

/** What the agents' handlers need of the gateway. */
export interface AgentHandlerDeps {
  readonly config: Config;
  readonly pipeline: Pick<Pipeline, 'callTool'>;
  readonly store: Pick<Store, 'a2a'>;
  readonly taskOwners: TaskOwnership;
  readonly agents: AgentRuntime;
  readonly log: Logger;
  readonly resolveHost: ResolveHost;
  upstream(name: string): Backend | undefined;
}

/** Who sent a request the SDK serves, and its trace span (an agent run is its child). */
export interface Caller {
  principal: Principal;
  span?: Span;
}

/** One request for an agent's app. */
export interface AgentRequest {
  /** The path (and query) inside the agent's app. */
  url: string;
  /** The agent's base URL, for the cards built while serving it. */
  base: string;
  /** The authenticated caller, when authentication ran. */
  caller: Caller | undefined;
  /** The path as requested, for the answer when no handler takes it. */
  path: string;
}

interface Mounted {
  key: unknown;
  app: express.Express;
}

/** The base URL of the agent being served, for cards built during this request. */
const currentBase = new AsyncLocalStorage<string>();

/** The caller of each request, for the SDK's UserBuilder (tasks are kept per user). */
const callers = new WeakMap<IncomingMessage, Caller>();

export class AgentHandlers {
  private readonly mounted = new Map<string, Mounted>();
  private readonly executors = new Map<string, DefaultRequestHandler>();

  constructor(
    private readonly core: AgentHandlerDeps,
    private readonly registry: Pick<AgentRegistry, 'get' | 'presentProxied'>,
  ) {}

  /** Serve a request with the agent's app; settles when the response closes or no handler took it. */
  async serve(agent: AgentEntry, req: IncomingMessage, res: ServerResponse, r: AgentRequest): Promise<void> {
    if (r.caller) callers.set(req, r.caller);
    const app = this.appFor(agent);
    req.url = r.url;
    await new Promise<void>((resolve) => {
      res.on('close', resolve);
      const run = app as unknown as (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
      currentBase.run(r.base, () =>
        run(req, res, () => {
          if (!res.headersSent) sendJson(res, 404, { error: `not an A2A endpoint: ${r.path}` });
          resolve();
        }),
      );
    });
  }

  /** One Express app per agent (rebuilt when the agent behind the name changes). */
  private appFor(agent: AgentEntry): express.Express {
    const key = agent.kind === 'proxy' ? this.core.upstream(agent.name) : agent.kind;
    const m = this.mounted.get(agent.name);
    if (m && m.key === key) return m.app;
    const handler = limitParts(this.handlerFor(agent), () => this.core.config.a2a);
    const app = express();
    app.disable('x-powered-by');
    app.use(
      `/${AGENT_CARD_PATH}`,
      // v0.3 clients get the v0.3 shape; v1.0 clients the card in its JSON form (the SDK's handler
      // would serialize the in-process model, whose `$case` fields are not the wire format).
      legacyAgentCardRouter({ agentCardProvider: handler, cache: { maxAge: 0 } }),
      agentCardHandler({
        agentCardProvider: async () => AgentCard.toJSON(await handler.getAgentCard()) as AgentCard,
        cache: { maxAge: 0 },
      }),
    );
    const opts = { requestHandler: handler, userBuilder: principalUser, legacyCompat: { enabled: true } };
    app.use('/jsonrpc', jsonRpcHandler(opts));
    app.use('/rest', restHandler(opts));
    this.mounted.set(agent.name, { key, app });
    return app;
  }

  private handlerFor(agent: AgentEntry): A2ARequestHandler {
    const card = () => {
      const c = this.registry.get(agent.name)?.card(currentBase.getStore() ?? '');
      if (!c) throw new Error(`agent "${agent.name}" is unavailable`);
      return c;
    };
    if (agent.kind === 'proxy') {
      return proxyHandler(
        this.core.upstream(agent.name) as A2aUpstream,
        (card) => this.registry.presentProxied(card, currentBase.getStore() ?? ''),
        this.core.taskOwners,
        this.core.log,
      );
    }
    let inner = this.executors.get(`${agent.kind}:${agent.name}`);
    if (!inner) {
      const store = this.core.store.a2a;
      const push = guardedPushStore(
        store.pushConfigs,
        () => this.core.config.a2a.push,
        this.core.resolveHost,
      );
      const executor =
        agent.kind === 'agent'
          ? new AgentRunExecutor(agent.name, this.core.agents)
          : new McpToolsExecutor({
              tools: () => this.registry.get(agent.name)?.tools?.() ?? [],
              callTool: (principal, name, args, opts) =>
                this.core.pipeline.callTool(principal, name, args, opts),
            });
      inner = new DefaultRequestHandler(
        card(),
        store.tasks,
        executor,
        undefined,
        push,
        new PushDelivery(push, () => this.core.config.a2a.push, this.core.log, this.core.resolveHost),
      );
      this.executors.set(`${agent.kind}:${agent.name}`, inner);
    }
    // The card follows the tools the upstream offers now; everything else is the SDK's handler.
    return overriding<A2ARequestHandler>(inner, { getAgentCard: () => Promise.resolve(card()) });
  }
}

/** An A2A SDK user carrying the gateway's principal: task stores scope tasks by its name. */
export class PrincipalUser implements User {
  constructor(
    readonly principal: Principal,
    readonly span?: Span,
  ) {}
  get isAuthenticated(): boolean {
    return this.principal.via !== 'anonymous';
  }
  get userName(): string {
    return this.principal.name;
  }
}

const principalUser = (req: express.Request): Promise<User> => {
  const who = callers.get(req);
  return Promise.resolve(who ? new PrincipalUser(who.principal, who.span) : new UnauthenticatedUser());
};
