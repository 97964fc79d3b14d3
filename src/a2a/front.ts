/**
 * The A2A front: every agent the gateway offers lives at `/a2a/<name>`.
 *
 *   GET  /.well-known/agent-card.json          the gateway's own card (its agents as skills)
 *   GET  /a2a?q=…&tag=…                        the agent directory (also an MCP resource)
 *   GET  /a2a/<name>/.well-known/agent-card.json   the agent's card (interfaces point here)
 *   POST /a2a/<name>                           JSON-RPC binding (v1.0, and v0.3 requests)
 *   …    /a2a/<name>/rest/…                    HTTP+JSON binding (v1.0 routes, and v0.3 `/v1/…`)
 *
 * This file is the request's path through the front, in order: authenticate → the gateway's card
 * or directory → find the agent → record → authorize (agent, rate limit) → body → authorize (skills)
 * → the relay (a proxied agent's message in its own binding and version) or the agent's handlers.
 * Each step lives in its own module:
 *
 *   front-request.ts     what a request is (agent name, binding, operation, skills)
 *   front-agents.ts      the agents offered and their cards
 *   front-directory.ts   the gateway's card and the agent directory
 *   front-record.ts      the request record (metrics, ledger, span)
 *   front-body.ts        the body handed to the SDK
 *   relay.ts             a message for a proxied agent, sent on as the bytes that came
 *   front-handlers.ts    the SDK's Express handlers per agent (front-part-limits.ts before them)
 *   front-errors.ts      refusals in the binding's error shape
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AGENT_CARD_PATH } from '@a2a-js/sdk';
import type { AgentRuntime } from '../agents/runtime.js';
import type { RequestBody } from '../http/body.js';
import type { Pipeline } from '../gateway/pipeline.js';
import type { Authorizer } from '../policy/authz.js';
import type { RateLimiter } from '../policy/limits.js';
import { credentialFromHeader, type Principal } from '../policy/principal.js';
import { sendJson } from '../http/respond.js';
import { AgentRegistry, type AgentEntry, type AgentRegistryDeps } from './front-agents.js';
import { readBody } from './front-body.js';
import { agentDirectory, gatewayCard } from './front-directory.js';
import { sendError, sendNoAgent } from './front-errors.js';
import { AgentHandlers, type AgentHandlerDeps } from './front-handlers.js';
import { openRecord, type A2aRecordDeps } from './front-record.js';
import { A2aRelay } from './relay.js';
import type { A2aUpstream } from './upstream.js';
import { baseUrl, isCardRequest, requestedSkills, rpcOperation, splitPath } from './front-request.js';

export { A2A_AGENTS_RESOURCE } from './front-directory.js';

/** What the A2A front needs of the gateway (the gateway's core provides it). */
export interface A2aFrontDeps extends AgentRegistryDeps, AgentHandlerDeps, A2aRecordDeps {
  readonly pipeline: Pipeline;
  readonly agents: AgentRuntime;
  readonly authz: Authorizer;
  readonly limits: RateLimiter;
}

export class A2aFront {
  private readonly registry: AgentRegistry;
  private readonly handlers: AgentHandlers;
  private readonly relay: A2aRelay;

  constructor(private readonly core: A2aFrontDeps) {
    this.registry = new AgentRegistry(core);
    this.handlers = new AgentHandlers(core, this.registry);
    this.relay = new A2aRelay(core);
  }

  static handles(path: string): boolean {
    return path === `/${AGENT_CARD_PATH}` || path === '/a2a' || path.startsWith('/a2a/');
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

    // authenticate: an agent's card is public (it says how to authenticate); nothing else is.
    let principal: Principal | undefined;
    if (!isCardRequest(req, sub)) {
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
    if (name === '')
      return sendJson(res, 200, this.directory(origin, new URLSearchParams(query), principal!));
    const agent = this.registry.get(name);
    if (!agent) return sendNoAgent(res, name, origin);

    const rec = openRecord(this.core, req, res, agent, sub, principal);
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
    const read = readBody(req, res, jsonRpc, body, sub);
    if (read === 'refused') return;
    if (jsonRpc) rec.method = rpcOperation((read.parsed as { method?: unknown } | undefined)?.method);
    if (principal) {
      try {
        // authorize: the skills a message asks for (`skills:` rules)
        const skills = requestedSkills(rec.method, read.parsed, jsonRpc);
        if (skills.length) this.core.pipeline.authorizeSkills(rec, principal, name, skills);
      } catch (err) {
        return sendError(res, err, jsonRpc);
      }
    }

    // relay: a proxied agent's message in a binding and version the agent speaks goes on as it came.
    const { a2a } = this.core.config;
    if (agent.kind === 'proxy' && principal && body && !body.empty && a2a.relay) {
      const upstream = this.core.upstream(name) as A2aUpstream | undefined;
      const relayed =
        upstream &&
        (await this.relay.relay({
          upstream,
          req,
          res,
          body,
          parsed: read.parsed,
          jsonRpc,
          operation: rec.method,
          sub,
          principal,
          limits: a2a,
        }));
      if (relayed) return;
    }

    // POST /a2a/<name> is the JSON-RPC endpoint; the SDK mounts it at a path of its own.
    return this.handlers.serve(agent, req, res, {
      url: (jsonRpc ? '/jsonrpc' : sub) + (query ? `?${query}` : ''),
      base: `${origin}/a2a/${encodeURIComponent(name)}`,
      caller: principal && { principal, span: rec.span },
      path,
    });
  }

  /** A request the listener's guards refused (Host, Origin, path, body), in its binding's shape. */
  refuse(res: ServerResponse, path: string, err: unknown): void {
    sendError(res, err, splitPath(path).jsonRpc);
  }

  /** The gateway's own card: each agent the principal may use is a skill. */
  gatewayCard(origin: string, principal?: Principal): unknown {
    return gatewayCard(this.core.config.server.name, origin, this.visibleTo(principal));
  }

  /** The agent directory, searchable by text (`q`) and tag (`tag`). */
  directory(origin: string, params: URLSearchParams, principal?: Principal): unknown {
    return agentDirectory(origin, params, this.visibleTo(principal));
  }

  /** The agents a principal may see (directory, gateway card); all of them without one. */
  private visibleTo(principal: Principal | undefined): AgentEntry[] {
    return this.registry
      .all()
      .filter(
        (a) =>
          !principal || this.core.authz.decide(principal, { kind: 'agent', name: a.name }).effect === 'allow',
      );
  }
}
