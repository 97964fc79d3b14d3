/**
 * The A2A front: every agent the gateway offers lives at `/a2a/<name>`.
 *
 *   GET  /.well-known/agent-card.json          the gateway's own card (its agents as skills)
 *   GET  /a2a?q=…&tag=…                        the catalog of agents (also an MCP resource)
 *   GET  /a2a/<name>/.well-known/agent-card.json   the agent's card (interfaces point here)
 *   POST /a2a/<name>                           JSON-RPC binding (v1.0, and v0.3 requests)
 *   …    /a2a/<name>/rest/…                    HTTP+JSON binding (v1.0 routes, and v0.3 `/v1/…`)
 *
 * The wire work is the A2A SDK's: its Express handlers decode and encode both bindings and both
 * protocol versions. Behind them sits one `A2ARequestHandler` per agent: the proxy for an upstream
 * agent, or the SDK's DefaultRequestHandler (tasks in our store) for MCP tools served as an agent
 * and for the declared agents the gateway runs (agents/).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AGENT_CARD_PATH,
  AgentCard,
  type AgentExtension,
  type Part,
  type SendMessageRequest,
} from '@a2a-js/sdk';
import {
  DefaultRequestHandler,
  UnauthenticatedUser,
  type A2ARequestHandler,
  type ServerCallContext,
  type User,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler } from '@a2a-js/sdk/server/express';
import { legacyAgentCardRouter } from '@a2a-js/sdk/compat/v0_3/server/express';
import { A2A_ERROR_CODE, RequestMalformedError, toRestErrorBody } from '@a2a-js/sdk/errors';
import express from 'express';
import type { RequestBody } from '../http/body.js';
import type { Config } from '../config/schema.js';
import type { GatewayCore } from '../gateway/gateway.js';
import type { Catalog } from '../mcp/federation/catalog.js';
import { asGatewayError, GatewayError, toJsonRpcError } from '../gateway/errors.js';
import { newRecord } from '../gateway/request-record.js';
import { credentialFromHeader, type Principal } from '../policy/principal.js';
import { McpToolsExecutor, servedCard, type ServedTool } from '../bridge/mcp-to-a2a.js';
import { AgentRunExecutor, agentCard } from '../agents/a2a-executor.js';
import { modelLicenseExtension } from '../catalog/card-extension.js';
import { VERSION } from '../version.js';
import { globs } from '../gateway/globs.js';
import { A2A_RPC_METHODS, OTHER } from '../telemetry/labels.js';
import { gatewayInterfaces, rewriteCard } from './card.js';
import { overriding } from './override.js';
import { paramsProblem, restBodyProblem } from './params.js';
import { proxyHandler } from './proxy.js';
import { guardedPushStore, PushDelivery } from './push.js';
import type { A2aUpstream } from './upstream.js';

export interface AgentEntry {
  name: string;
  kind: 'proxy' | 'mcp' | 'group' | 'agent';
  /** Which upstream it reaches (proxy, mcp), or the tools it groups. */
  upstream?: string;
  /** The agent's card as served at `base` (undefined while a proxied agent is unavailable). */
  card(base: string): AgentCard | undefined;
  /** The gateway tools it runs (MCP servers and groups served as agents). */
  tools?(): ServedTool[];
}

interface Mounted {
  key: unknown;
  app: express.Express;
}

/** The agent catalog as an MCP resource of the gateway. */
export const A2A_AGENTS_RESOURCE = {
  uri: 'switchyard://a2a/agents',
  name: 'a2a-agents',
  title: 'A2A agents',
  description:
    'Every A2A agent the gateway offers (proxied, MCP servers served as agents, tool groups): cards, skills and URLs.',
  mimeType: 'application/json',
} as const;

/** The base URL of the agent being served, for cards built during this request. */
const currentBase = new AsyncLocalStorage<string>();

export class A2aFront {
  private readonly mounted = new Map<string, Mounted>();
  private readonly executors = new Map<string, DefaultRequestHandler>();
  private agentCache: { catalog: Catalog; config: Config; agents: AgentEntry[] } | undefined;

  constructor(private readonly core: GatewayCore) {}

  static handles(path: string): boolean {
    return path === `/${AGENT_CARD_PATH}` || path === '/a2a' || path.startsWith('/a2a/');
  }

  /**
   * Every agent offered now: proxied upstreams, MCP upstreams, and configured tool groups. Built
   * once per catalog and config snapshot (both are replaced whole when anything changes), so a
   * request only looks its agent up; tools and cards are computed on first use.
   */
  agents(): AgentEntry[] {
    const catalog = this.core.catalog();
    const config = this.core.config;
    if (this.agentCache?.catalog === catalog && this.agentCache.config === config)
      return this.agentCache.agents;
    const out: AgentEntry[] = [];
    const taken = new Set<string>();
    for (const u of this.core.a2aUpstreams()) {
      taken.add(u.name);
      const upstreamCard = u.card;
      out.push({
        name: u.name,
        kind: 'proxy',
        upstream: u.name,
        card: perBase((base) => (upstreamCard ? this.presentProxied(upstreamCard, base) : undefined)),
      });
    }
    const served = (name: string, description: string, filter: Parameters<A2aFront['toolsOf']>[0]) => {
      const tools = once(() => this.toolsOf(filter));
      return {
        tools,
        card: perBase((base) => ({
          ...servedCard({ name, description, version: VERSION }, tools()),
          supportedInterfaces: gatewayInterfaces(base),
          ...this.security(),
        })),
      };
    };
    if (config.a2a.serveMcpUpstreams) {
      for (const u of this.core.mcpUpstreams()) {
        taken.add(u.name);
        const description =
          u.info?.instructions ??
          `MCP server "${u.name}"${u.info?.serverInfo?.name ? ` (${String(u.info.serverInfo.name)})` : ''}, served as an A2A agent: one skill per tool.`;
        out.push({
          name: u.name,
          kind: 'mcp',
          upstream: u.name,
          ...served(u.name, description, (t) => t.upstream === u.name),
        });
      }
    }
    // Declared agents, running on the gateway's models (the license policy may refuse some).
    for (const a of this.core.servedAgents()) {
      taken.add(a.name);
      const model = this.core.agents.model(a);
      const license = this.core.agentLicense(a.name);
      const extensions: AgentExtension[] = license
        ? [modelLicenseExtension(license.view, license.verdict) as AgentExtension]
        : [];
      out.push({
        name: a.name,
        kind: 'agent',
        card: perBase((base) => ({
          ...agentCard(a, model, VERSION, extensions),
          supportedInterfaces: gatewayInterfaces(base),
          ...this.security(),
        })),
      });
    }
    for (const g of config.a2a.groups) {
      if (taken.has(g.name)) continue;
      const match = globs(g.tools);
      const description = g.description ?? `Tools of the group "${g.name}".`;
      out.push({ name: g.name, kind: 'group', ...served(g.name, description, (t) => match(t.name)) });
    }
    this.agentCache = { catalog, config, agents: out };
    return out;
  }

  /** The agent of that name as offered now. */
  private agent(name: string): AgentEntry | undefined {
    return this.agents().find((a) => a.name === name);
  }

  /** A proxied agent's card as clients see it: the gateway's interfaces and security. */
  private presentProxied(card: AgentCard, base: string): AgentCard {
    return { ...rewriteCard(card, base), ...this.security() };
  }

  /** The gateway tools matching a filter, with the upstream each comes from. */
  toolsOf(filter: (t: { name: string; upstream: string }) => boolean): ServedTool[] {
    const catalog = this.core.catalog();
    const out: ServedTool[] = [];
    for (const tool of catalog.tools) {
      const name = String(tool.name);
      const route = catalog.tool(name);
      if (route && filter({ name, upstream: route.upstream.name })) out.push({ name, tool });
    }
    return out;
  }

  /**
   * What the cards the gateway serves say about authentication: the gateway's own (a bearer API
   * key or access token) when it requires one. A proxied agent's own schemes are not the client's
   * business: the gateway authenticates to it with the configured headers.
   */
  private security(): Pick<AgentCard, 'securitySchemes' | 'securityRequirements'> {
    if (!this.core.config.auth.required) return { securitySchemes: {}, securityRequirements: [] };
    return {
      securitySchemes: {
        bearer: {
          scheme: {
            $case: 'httpAuthSecurityScheme',
            value: {
              description: 'A Switchyard API key or access token',
              scheme: 'Bearer',
              bearerFormat: '',
            },
          },
        },
      },
      securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    };
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
    body?: RequestBody,
  ): Promise<void> {
    const origin = baseUrl(req, this.core.config.server.publicUrl);
    const { name, sub, jsonRpc } = splitPath(path);
    // An agent's card is public (it says how to authenticate); everything else needs a principal.
    const isCard = req.method === 'GET' && sub === `/${AGENT_CARD_PATH}`;
    let principal: Principal | undefined;
    if (!isCard) {
      try {
        principal = await this.core.pipeline.authenticate(
          credentialFromHeader(req.headers.authorization),
          'a2a',
        );
      } catch (err) {
        return sendError(res, err, jsonRpc);
      }
    }
    if (path === `/${AGENT_CARD_PATH}`) return sendJson(res, 200, this.gatewayCard(origin, principal!));
    if (name === '') return sendJson(res, 200, this.catalog(origin, new URLSearchParams(query), principal!));
    const agent = this.agent(name);
    if (!agent) return sendJson(res, 404, { error: `no A2A agent named "${name}"`, agents: `${origin}/a2a` });

    // The request record: metrics, ledger entry and debug line when the response ends.
    const rec = newRecord('a2a', undefined, restOperation(req.method ?? 'GET', sub), 0);
    rec.target = name;
    rec.upstream = agent.kind === 'group' ? undefined : agent.upstream;
    if (principal) rec.principal = principal.name;
    if (this.core.tracing) rec.span = this.core.tracing.startA2a(rec);
    res.once('close', () => {
      rec.outcome = res.statusCode < 400 ? 'ok' : res.statusCode < 500 ? 'error' : 'upstream_error';
      if (res.statusCode >= 400) rec.errorCode = `HTTP ${res.statusCode}`;
      const status = `${Math.floor(res.statusCode / 100)}xx`;
      this.core.metrics.a2aRequests.labels(name, rec.method, status).inc();
      this.core.metrics.a2aDuration.labels(name, rec.method).observe((performance.now() - rec.start) / 1000);
      this.core.pipeline.recordA2a(rec);
    });
    if (principal) {
      try {
        // authorize: may this principal use the agent, and is it within its rate limits?
        this.core.pipeline.authorizeAgent(rec, principal, name);
        const limited = this.core.limits.check(principal, { kind: 'agent', name });
        if (limited) await limited;
      } catch (err) {
        return sendError(res, err, jsonRpc);
      }
    }
    if (!this.readJson(req, res, jsonRpc, body, sub)) return;
    const parsed = (req as IncomingMessage & { body?: unknown }).body;
    if (jsonRpc) rec.method = rpcOperation((parsed as { method?: unknown } | undefined)?.method);
    if (principal) {
      try {
        // authorize: the skills a message asks for (`skills:` rules)
        const skills = SENDS.has(rec.method) ? requestedSkills(parsed, jsonRpc) : [];
        if (skills.length) this.core.pipeline.authorizeSkills(rec, principal, name, skills);
      } catch (err) {
        return sendError(res, err, jsonRpc);
      }
      principals.set(req, { principal, span: rec.span });
    }
    const app = this.appFor(agent);
    // POST /a2a/<name> is the JSON-RPC endpoint; the SDK mounts it at a path of its own.
    req.url = (jsonRpc ? '/jsonrpc' : sub) + (query ? `?${query}` : '');
    const base = `${origin}/a2a/${encodeURIComponent(name)}`;
    await new Promise<void>((resolve) => {
      res.on('close', resolve);
      const run = app as unknown as (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
      currentBase.run(base, () =>
        run(req, res, () => {
          if (!res.headersSent) sendJson(res, 404, { error: `not an A2A endpoint: ${path}` });
          resolve();
        }),
      );
    });
  }

  /** May the principal see this agent (catalog, gateway card)? */
  private visible(principal: Principal | undefined, agent: AgentEntry): boolean {
    return (
      !principal || this.core.authz.decide(principal, { kind: 'agent', name: agent.name }).effect === 'allow'
    );
  }

  /**
   * Hand the SDK the body the listener read (under the gateway's size and depth limits; the SDK's
   * own parser would stop at 100 kB) as a finished request, which its parser then keeps. A body
   * that is not JSON, or not sent as JSON, gets the binding's error here. Returns false when it
   * answered.
   */
  private readJson(
    req: IncomingMessage,
    res: ServerResponse,
    jsonRpc: boolean,
    body: RequestBody | undefined,
    sub: string,
  ): boolean {
    if (!body || body.empty) return true;
    // A body not declared as JSON could come from a web page's "simple" cross-site request.
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (type !== 'application/json' && type !== 'application/a2a+json') {
      const expected = 'application/json or application/a2a+json';
      sendError(res, new GatewayError('SWY_UNSUPPORTED_MEDIA_TYPE', { expected }), jsonRpc);
      return false;
    }
    let parsed: unknown;
    try {
      parsed = body.json();
    } catch (err) {
      sendError(res, err, jsonRpc);
      return false;
    }
    // The params' shape, before the SDK decodes them (params.ts).
    const rpc =
      jsonRpc && parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
    const problem = jsonRpc
      ? rpc && paramsProblem(rpc.method, rpc.params)
      : restBodyProblem(req.method ?? '', sub, parsed);
    if (problem) {
      const message = `Invalid params: ${problem}`;
      if (rpc) {
        const rid = typeof rpc.id === 'string' || typeof rpc.id === 'number' ? rpc.id : null;
        sendJson(res, 200, {
          jsonrpc: '2.0',
          id: rid,
          error: { code: A2A_ERROR_CODE.INVALID_PARAMS, message },
        });
      } else sendJson(res, 400, toRestErrorBody(new RequestMalformedError(message), 400));
      return false;
    }
    (req as IncomingMessage & { body?: unknown }).body = parsed;
    return true;
  }

  /** A request the listener's guards refused (Host, Origin, path, body), in its binding's shape. */
  refuse(res: ServerResponse, path: string, err: unknown): void {
    sendError(res, err, splitPath(path).jsonRpc);
  }

  /** One Express app per agent (rebuilt when the agent behind the name changes). */
  private appFor(agent: AgentEntry): express.Express {
    const key = agent.kind === 'proxy' ? this.core.upstream(agent.name) : agent.kind;
    const m = this.mounted.get(agent.name);
    if (m && m.key === key) return m.app;
    const handler = this.handlerFor(agent);
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
    return limitParts(this.innerHandlerFor(agent), () => this.core.config.a2a);
  }

  private innerHandlerFor(agent: AgentEntry): A2ARequestHandler {
    const card = () => {
      const c = this.agent(agent.name)?.card(currentBase.getStore() ?? '');
      if (!c) throw new Error(`agent "${agent.name}" is unavailable`);
      return c;
    };
    if (agent.kind === 'proxy') {
      return proxyHandler(
        this.core.upstream(agent.name) as A2aUpstream,
        (card) => this.presentProxied(card, currentBase.getStore() ?? ''),
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
              tools: () => this.agent(agent.name)?.tools?.() ?? [],
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

  /** The gateway's own card: each agent it offers is a skill. */
  gatewayCard(origin: string, principal?: Principal): unknown {
    const card: AgentCard = {
      name: this.core.config.server.name,
      description:
        'Switchyard agent gateway. Each skill is an agent it serves at /a2a/<skill id>; read that ' +
        "agent's card to call it. The searchable catalog is at /a2a.",
      supportedInterfaces: [],
      provider: undefined,
      version: VERSION,
      capabilities: { streaming: false, pushNotifications: false, extensions: [], extendedAgentCard: false },
      securitySchemes: {},
      securityRequirements: [],
      defaultInputModes: ['text/plain'],
      defaultOutputModes: ['text/plain'],
      skills: this.agents()
        .filter((a) => this.visible(principal, a))
        .map((a) => {
          const card = a.card(`${origin}/a2a/${a.name}`);
          return {
            id: a.name,
            name: card?.name ?? a.name,
            description: `${card?.description ?? 'unavailable'} Card: ${origin}/a2a/${a.name}/${AGENT_CARD_PATH}`,
            tags: [...new Set([a.kind, ...(card?.skills.flatMap((s) => s.tags) ?? [])])],
            examples: [],
            inputModes: [],
            outputModes: [],
            securityRequirements: [],
          };
        }),
      signatures: [],
    };
    return AgentCard.toJSON(card);
  }

  /** The agent catalog, searchable by text (`q`) and tag (`tag`). */
  catalog(origin: string, params: URLSearchParams, principal?: Principal): unknown {
    const q = params.get('q')?.toLowerCase();
    const tag = params.get('tag')?.toLowerCase();
    const agents = this.agents().flatMap((a) => {
      if (!this.visible(principal, a)) return [];
      const base = `${origin}/a2a/${a.name}`;
      const card = a.card(base);
      const tags = [a.kind, ...(card?.skills.flatMap((s) => s.tags) ?? [])];
      const text = [
        a.name,
        card?.name,
        card?.description,
        ...(card?.skills.flatMap((s) => [s.id, s.name, s.description]) ?? []),
      ]
        .join(' ')
        .toLowerCase();
      if (q && !text.includes(q)) return [];
      if (tag && !tags.some((t) => t.toLowerCase() === tag)) return [];
      return [
        {
          name: a.name,
          kind: a.kind,
          ...(a.upstream ? { upstream: a.upstream } : {}),
          available: card !== undefined,
          url: base,
          cardUrl: `${base}/${AGENT_CARD_PATH}`,
          description: card?.description,
          skills:
            card?.skills.map((s) => ({ id: s.id, name: s.name, description: s.description, tags: s.tags })) ??
            [],
        },
      ];
    });
    return { agents };
  }
}

/** The operations that send a message (both versions' names). */
const SENDS = new Set(['SendMessage', 'SendStreamingMessage', 'message/send', 'message/stream']);

/**
 * The skills a SendMessage names: A2A has no skill selector, so clients name one in metadata
 * (`skill` or `skillId`, on the message or the request), as the gateway's own bridge does.
 */
function requestedSkills(body: unknown, jsonRpc: boolean): string[] {
  const params = (jsonRpc ? (body as { params?: unknown } | undefined)?.params : body) as
    { message?: { metadata?: unknown }; metadata?: unknown } | undefined;
  const out = new Set<string>();
  for (const meta of [params?.message?.metadata, params?.metadata]) {
    if (!meta || typeof meta !== 'object') continue;
    for (const key of ['skill', 'skillId']) {
      const v = (meta as Record<string, unknown>)[key];
      if (typeof v === 'string' && v) out.add(v);
    }
  }
  return [...out];
}

/** A metric label for a JSON-RPC method (bounded: anything else is "other"). */
function rpcOperation(method: unknown): string {
  return typeof method === 'string' && A2A_RPC_METHODS.has(method) ? method : OTHER;
}

/** A metric label for a REST request, by its route (A2A §11, and the v0.3 `/v1/…` routes). */
function restOperation(method: string, sub: string): string {
  const path = sub.replace(/^\/rest/, '').replace(/^\/v1(?=\/)/, '');
  if (sub.endsWith(`/${AGENT_CARD_PATH}`)) return 'GetAgentCard';
  if (/\/message:send$/.test(path)) return 'SendMessage';
  if (/\/message:stream$/.test(path)) return 'SendStreamingMessage';
  if (/:cancel$/.test(path)) return 'CancelTask';
  if (/:subscribe$/.test(path)) return 'SubscribeToTask';
  if (/pushNotificationConfigs/.test(path))
    return PUSH_CONFIG_VERBS.has(method) ? `${method} pushNotificationConfigs` : OTHER;
  if (/^\/(extendedAgentCard|card)$/.test(path)) return 'GetExtendedAgentCard';
  if (/^\/tasks\/[^/]+$/.test(path)) return 'GetTask';
  if (/^\/tasks$/.test(path)) return 'ListTasks';
  return sub === '' || sub === '/' ? 'jsonrpc' : OTHER;
}

const PUSH_CONFIG_VERBS = new Set(['GET', 'POST', 'DELETE']);

/** Messages with too many or too large parts are refused before they reach an agent (-32602). */
function limitParts(
  handler: A2ARequestHandler,
  limits: () => { maxParts: number; maxPartBytes: number },
): A2ARequestHandler {
  const check = (params: SendMessageRequest) => {
    const { maxParts, maxPartBytes } = limits();
    const parts = params.message?.parts ?? [];
    if (parts.length > maxParts)
      throw new RequestMalformedError(
        `message has ${parts.length} parts; at most ${maxParts} are accepted (a2a.maxParts)`,
      );
    parts.forEach((p, i) => {
      const size = partSize(p);
      if (size > maxPartBytes)
        throw new RequestMalformedError(
          `part ${i} is ${size} bytes; at most ${maxPartBytes} are accepted (a2a.maxPartBytes)`,
        );
    });
  };
  return overriding(handler, {
    sendMessage: (params: SendMessageRequest, ctx: ServerCallContext) => {
      check(params);
      return handler.sendMessage(params, ctx);
    },
    sendMessageStream: (params: SendMessageRequest, ctx: ServerCallContext) => {
      check(params);
      return handler.sendMessageStream(params, ctx);
    },
  });
}

function partSize(p: Part): number {
  const c = p.content;
  if (!c) return 0;
  if (c.$case === 'raw') return c.value.length;
  if (c.$case === 'data') return Buffer.byteLength(JSON.stringify(c.value ?? null));
  return Buffer.byteLength(c.value);
}

/** A value computed on first use. */
function once<T>(make: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = make();
      done = true;
    }
    return value;
  };
}

/** A card per base URL (the host clients used), built on first use; a few hosts are kept. */
function perBase<T>(make: (base: string) => T): (base: string) => T {
  const byBase = new Map<string, T>();
  return (base) => {
    if (byBase.size >= 8 && !byBase.has(base)) byBase.clear();
    if (!byBase.has(base)) byBase.set(base, make(base));
    return byBase.get(base)!;
  };
}

/**
 * The principal of each A2A request, for the SDK's UserBuilder (tasks are kept per user), and the
 * request's trace span (an agent run is its child).
 */
const principals = new WeakMap<IncomingMessage, { principal: Principal; span?: Span }>();

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
  const who = principals.get(req);
  return Promise.resolve(who ? new PrincipalUser(who.principal, who.span) : new UnauthenticatedUser());
};

/** A refused request, in the error shape of the binding it came on (WWW-Authenticate kept). */
function sendError(res: ServerResponse, err: unknown, jsonRpc: boolean): void {
  const ge = asGatewayError(err);
  const headers = { 'content-type': 'application/json', ...ge.headers };
  const body = jsonRpc
    ? { jsonrpc: '2.0', id: null, error: toJsonRpcError(ge) }
    : { error: { code: ge.status, status: ge.code, message: ge.message } };
  res.writeHead(ge.status, headers).end(JSON.stringify(body));
}

/** `/a2a/<name><sub>`: the agent's name (decoded), the rest, and whether it is the JSON-RPC endpoint. */
function splitPath(path: string): { name: string; sub: string; jsonRpc: boolean } {
  const rest = path.startsWith('/a2a/') ? path.slice('/a2a/'.length) : '';
  const slash = rest.indexOf('/');
  const raw = slash === -1 ? rest : rest.slice(0, slash);
  // The listener refuses a path that does not decode before any agent is looked up; its refusal
  // still needs the binding, so this never throws.
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // keep the raw name: it is only used to pick the error shape
  }
  const sub = slash === -1 ? '' : rest.slice(slash);
  return { name, sub, jsonRpc: name !== '' && (sub === '' || sub === '/') };
}

function baseUrl(req: IncomingMessage, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `http://${req.headers.host ?? 'localhost'}`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
