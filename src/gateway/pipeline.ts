/**
 * The data path. Read this file first.
 *
 * Every MCP message a client sends — over Streamable HTTP or stdio, once the front has framed it
 * and found its session — enters here and goes through the same steps, in this order:
 *
 *   authenticate  the front's credential → a principal, or 401        → policy/authn.ts
 *               (once per HTTP exchange, before the messages are read out of it)
 *   accept      open a request record; refuse new work while draining
 *   route       find the upstream (or local handler) and rewrite names   → router.ts
 *   authorize   policy on the routed target (never on the name as typed)  → policy/authz.ts
 *               rate limits (429 + Retry-After)                           → policy/limits.ts
 *               pinning and name checks; arguments against inputSchema    → policy/pinning.ts, validation.ts
 *   call        forward upstream with a fresh id, relaying progress,
 *               server-to-client requests and cancellation               → upstream/forwarder.ts
 *               (or answer locally: lists, ping, log level, subscriptions → federation/local.ts)
 *   respond     send the upstream's result or error back unchanged (task ids mapped → federation/tasks.ts)
 *   record      close the record: metrics and the log line               → request-record.ts
 *
 * The record is also the ledger entry (ledger/) — the same path serves every front, so an A2A
 * front calls the same authenticate step and ledger with its own record.
 * Initialize creates the session and is handled by `initialize` below; notifications and the
 * client's answers to our requests take the short paths at the end of the file.
 */
import type { Span } from '@opentelemetry/api';
import { InitializeRequestSchema, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from '../config/schema.js';
import type { Affinity } from '../mcp/federation/affinity.js';
import type { Catalog } from '../mcp/federation/catalog.js';
import { TASK_METHODS, type TaskDirectory } from '../mcp/federation/tasks.js';
import { UpstreamAnswer, type LocalHandlers } from '../mcp/federation/local.js';
import {
  errorResponse,
  type JsonObject,
  type RpcNotification,
  type RpcRequest,
  type RpcResponse,
} from '../mcp/jsonrpc.js';
import type { Reply, Session } from '../mcp/session.js';
import type { SessionRegistry } from '../mcp/sessions.js';
import {
  CallCancelled,
  Cancellation,
  type CallOutcome,
  type RelatedSink,
} from '../mcp/upstream/forwarder.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Tracing } from '../telemetry/traces.js';
import { VERSION } from '../version.js';
import { GatewayError, toJsonRpcError } from './errors.js';
import { redact } from '../ledger/entry.js';
import type { LedgerSink } from '../ledger/writer.js';
import type { Authenticator } from '../policy/authn.js';
import { mcpSubject, type Authorizer } from '../policy/authz.js';
import type { RateLimiter } from '../policy/limits.js';
import type { PinRegistry } from '../policy/pinning.js';
import type { PolicyTarget } from '../policy/rules.js';
import type { ToolSchemas } from '../policy/validation.js';
import type { Credential, Principal } from '../policy/principal.js';
import { newRecord, toLedgerInput, type RequestRecord } from './request-record.js';
import { route, type Local, type Target } from './router.js';

type UpstreamTarget = Extract<Target, { kind: 'upstream' }>;

/** Protocol versions the front negotiates (MCP §Version Negotiation), newest first. */
export const SUPPORTED_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;

/** What the pipeline needs from the gateway around it. */
export interface Core {
  readonly config: Config;
  readonly sessions: SessionRegistry;
  readonly local: LocalHandlers;
  readonly affinity: Affinity;
  readonly tasks: TaskDirectory;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly auth: Authenticator;
  readonly authz: Authorizer;
  readonly pins: PinRegistry;
  readonly limits: RateLimiter;
  readonly tracing: Tracing | undefined;
  readonly schemas: ToolSchemas;
  /** Where finished records go (absent when `audit.enabled` is false). */
  readonly ledger: LedgerSink | undefined;
  readonly draining: boolean;
  catalog(): Catalog;
  capabilities(): JsonObject;
  instructions(): string | undefined;
}

export class Pipeline {
  constructor(private readonly core: Core) {}

  /**
   * authenticate: who is asking. A refused credential is recorded (ledger, metrics) and thrown as
   * a 401 carrying its WWW-Authenticate challenge for the front to send.
   */
  async authenticate(cred: Credential, transport: RequestRecord['transport']): Promise<Principal> {
    try {
      return await this.core.auth.authenticate(cred);
    } catch (err) {
      const rec = newRecord(transport, undefined, 'authenticate', null);
      rec.outcome = 'error';
      rec.errorCode = err instanceof GatewayError ? err.code : 'SWY_INTERNAL';
      if (!(err instanceof GatewayError)) this.core.log.error({ err }, 'authentication failed internally');
      this.finish(rec);
      throw err;
    }
  }

  /** initialize: negotiate the version, create the session, announce what the gateway offers. */
  async initialize(
    msg: RpcRequest,
    transport: 'http' | 'stdio',
    principal: Principal,
  ): Promise<{ session?: Session; response: RpcResponse }> {
    const rec = newRecord(transport, undefined, msg.method, msg.id);
    rec.principal = principal.name;
    const parsed = InitializeRequestSchema.safeParse(msg);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      const response = this.fail(rec, msg, new GatewayError('SWY_INVALID_PARAMS', { detail }));
      this.finish(rec);
      return { response };
    }
    const requested = parsed.data.params.protocolVersion;
    const protocolVersion = (SUPPORTED_VERSIONS as readonly string[]).includes(requested)
      ? requested
      : LATEST_PROTOCOL_VERSION;
    const session = await this.core.sessions.create({
      transport,
      protocolVersion,
      clientInfo: parsed.data.params.clientInfo as JsonObject,
      clientCapabilities: (msg.params?.capabilities ?? {}) as JsonObject,
      principal: principal.name,
      identity: principal,
    });
    const instructions = this.core.instructions();
    const result: JsonObject = {
      protocolVersion,
      capabilities: this.core.capabilities(),
      serverInfo: { name: this.core.config.server.name, title: 'Switchyard MCP gateway', version: VERSION },
      ...(instructions ? { instructions } : {}),
    };
    this.finish(Object.assign(rec, { outcome: 'ok' as const }));
    return { session, response: { jsonrpc: '2.0', id: msg.id, result } };
  }

  /** One request from a client in an initialized session. */
  async request(session: Session, msg: RpcRequest, reply: Reply, principal: Principal): Promise<void> {
    // accept
    const rec = newRecord(session.transport, session.id, msg.method, msg.id);
    rec.principal = principal.name;
    if (this.core.tracing) rec.span = this.core.tracing.startRequest(rec);
    const refused = this.core.draining
      ? 'SWY_SHUTTING_DOWN'
      : this.core.ledger && !this.core.ledger.accepting
        ? 'SWY_AUDIT_BACKLOG'
        : msg.method === 'initialize'
          ? 'SWY_ALREADY_INITIALIZED'
          : undefined;
    if (refused) {
      reply.respond(this.fail(rec, msg, new GatewayError(refused)));
      return this.finish(rec);
    }
    const cancellation = new Cancellation();
    session.inFlight.set(msg.id, { cancellation, reply, startedAt: rec.start });
    try {
      // route
      const catalog = this.core.catalog();
      const target = route(catalog, msg.method, msg.params, {
        session: session.id,
        directory: this.core.tasks,
      });
      if (target.kind === 'upstream') {
        rec.target = target.target;
        rec.upstream = target.upstream.name;
        rec.upstreamTarget = target.upstreamTarget;
        if (msg.params?.arguments !== undefined) rec.args = msg.params.arguments;
      }
      // authorize: policy, then whether the tool is still the one that was approved
      const invalid = await this.admit(rec, principal, msg, target, catalog);
      // call: the upstream, or the gateway's own handler (invalid arguments are not forwarded)
      const outcome = invalid
        ? { result: toolError(invalid) }
        : target.kind === 'local'
          ? await this.answerLocally(target.method, session, msg, cancellation, principal)
          : await this.callUpstream(target, session, msg, reply, cancellation, rec, principal);
      // respond: the answer goes back as it came, under the client's id
      if (invalid) {
        rec.outcome = 'error';
        rec.errorCode = invalid.code;
        reply.respond({ jsonrpc: '2.0', id: msg.id, result: toolError(invalid) });
      } else if ('result' in outcome) {
        rec.outcome = 'ok';
        reply.respond({ jsonrpc: '2.0', id: msg.id, result: outcome.result });
      } else {
        rec.outcome = 'upstream_error';
        rec.errorCode = String(outcome.error.code);
        reply.respond({ jsonrpc: '2.0', id: msg.id, error: outcome.error });
      }
    } catch (err) {
      if (err instanceof CallCancelled) {
        rec.outcome = 'cancelled';
        reply.cancelled(); // MCP §Cancellation: a cancelled request gets no answer
      } else {
        reply.respond(this.fail(rec, msg, err));
      }
    } finally {
      session.inFlight.delete(msg.id);
      // record
      this.finish(rec);
    }
  }

  /**
   * A tools/call made on someone's behalf: for an A2A client (an MCP server served as an A2A
   * agent), or by a declared agent's model (`agent` names it; `depth` is how many agents deep the
   * call is). The same route → authorize → call → record steps as a client's call, as the
   * principal who asked.
   */
  async callTool(
    principal: Principal,
    name: string,
    args: JsonObject,
    opts: {
      related: RelatedSink;
      cancellation: Cancellation;
      progressToken?: string;
      context?: string;
      agent?: string;
      depth?: number;
      /** The agent run's span: the call's span is its child (when tracing is on). */
      parentSpan?: Span;
    },
  ): Promise<CallOutcome> {
    const rec = newRecord(opts.agent ? 'agent' : 'a2a', opts.context, 'tools/call', 0);
    rec.principal = principal.name;
    rec.agent = opts.agent;
    if (opts.parentSpan && this.core.tracing) rec.span = this.core.tracing.startRequest(rec, opts.parentSpan);
    const params: JsonObject = {
      name,
      arguments: args,
      ...(opts.progressToken ? { _meta: { progressToken: opts.progressToken } } : {}),
    };
    const msg: RpcRequest = { jsonrpc: '2.0', id: 0, method: 'tools/call', params };
    try {
      if (this.core.draining) throw new GatewayError('SWY_SHUTTING_DOWN');
      if (this.core.ledger && !this.core.ledger.accepting) throw new GatewayError('SWY_AUDIT_BACKLOG');
      // route
      const catalog = this.core.catalog();
      const target = route(catalog, 'tools/call', params, {
        session: '',
        directory: this.core.tasks,
      }) as UpstreamTarget;
      rec.target = target.target;
      rec.upstream = target.upstream.name;
      rec.upstreamTarget = target.upstreamTarget;
      rec.args = args;
      // authorize: policy, rate limits, pinning and argument validation, as for a client's call
      const invalid = await this.admit(rec, principal, msg, target, catalog);
      if (invalid) {
        rec.outcome = 'error';
        rec.errorCode = invalid.code;
        return { result: toolError(invalid) };
      }
      // call. Messages a shared-channel upstream sends during the call (elicitation …) find this caller.
      const related = opts.related;
      const ref = this.core.affinity.enter(
        target.upstream.name,
        {
          identity: principal,
          supports: (method) => related.supports?.(method) ?? false,
          wantsLog: () => false,
          request: (req, signal) => related.request({ jsonrpc: '2.0', id: 0, ...req }, signal),
        },
        { related: (n) => ('id' in n ? undefined : related.notification(n)) },
      );
      let outcome: CallOutcome;
      try {
        outcome = await target.upstream.call('tools/call', target.params, {
          ...opts,
          caller: { principal, depth: opts.depth ?? 0, span: rec.span },
        });
      } finally {
        this.core.affinity.leave(ref);
      }
      rec.outcome = 'result' in outcome ? 'ok' : 'upstream_error';
      if ('error' in outcome) rec.errorCode = String(outcome.error.code);
      return outcome;
    } catch (err) {
      rec.outcome = err instanceof CallCancelled ? 'cancelled' : 'error';
      rec.errorCode =
        err instanceof GatewayError ? err.code : err instanceof CallCancelled ? undefined : 'SWY_INTERNAL';
      throw err;
    } finally {
      this.finish(rec);
    }
  }

  /**
   * An A2A operation at the front (any agent, any binding): its record becomes the metric, the
   * ledger entry and the debug line, like an MCP request's. Bridged tool calls are recorded again,
   * as tool calls, by `callTool`.
   */
  recordA2a(rec: RequestRecord): void {
    this.finish(rec);
  }

  /**
   * A tool an agent's model asked for that the agent may not use: refused before routing, and
   * recorded like any refused call (ledger, metrics), so what a model tried is on the record.
   */
  refuseAgentTool(principal: Principal, agent: string, name: string, context: string): void {
    const rec = newRecord('agent', context, 'tools/call', 0);
    rec.principal = principal.name;
    rec.agent = agent;
    rec.target = name;
    rec.outcome = 'error';
    rec.errorCode = 'SWY_AGENT_TOOL_REFUSED';
    rec.decision = { effect: 'deny', rule: `agents[${agent}].tools` };
    this.core.metrics.policyDenials.labels('agent-tool').inc();
    this.finish(rec);
  }

  /** May this principal use this A2A agent? (policy kind `agent`; throws SWY_POLICY_DENIED) */
  authorizeAgent(rec: RequestRecord, principal: Principal, agent: string): void {
    this.decideOrThrow(rec, principal, { kind: 'agent', name: agent, upstream: agent });
  }

  /**
   * May this principal ask this A2A agent for these skills (the skills a message names in its
   * metadata)? Policy kind `skill`; throws SWY_POLICY_DENIED.
   */
  authorizeSkills(rec: RequestRecord, principal: Principal, agent: string, skills: readonly string[]): void {
    for (const skill of skills)
      this.decideOrThrow(rec, principal, { kind: 'skill', name: skill, upstream: agent });
  }

  /** Decide; the decision goes on the record either way; a denial is counted and thrown. */
  private decideOrThrow(rec: RequestRecord, principal: Principal, subject: PolicyTarget): void {
    const decision = this.core.authz.decide(principal, subject);
    rec.decision = decision;
    if (decision.effect === 'deny') {
      this.core.metrics.policyDenials.labels(subject.kind).inc();
      throw new GatewayError('SWY_POLICY_DENIED', {
        principal: principal.name,
        kind: subject.kind,
        name: subject.name,
      });
    }
  }

  /** Forward to the routed upstream; relay what it sends about the call; map the answer back. */
  private async callUpstream(
    target: UpstreamTarget,
    session: Session,
    msg: RpcRequest,
    reply: Reply,
    cancellation: Cancellation,
    rec: RequestRecord,
    principal: Principal,
  ): Promise<CallOutcome> {
    const upstream = target.upstream;
    const ref = this.core.affinity.enter(upstream.name, session, reply);
    const span = rec.span && this.core.tracing?.startUpstream(rec.span, rec);
    let outcome: CallOutcome;
    try {
      outcome = await upstream.call(msg.method, target.params, {
        cancellation,
        related: relatedSink(session, reply, upstream.name, this.core.tasks),
        caller: { principal, depth: 0, span: span ?? rec.span },
      });
      if (span && 'error' in outcome) span.setAttribute('error.type', String(outcome.error.code));
    } catch (err) {
      span?.setAttribute('error.type', err instanceof GatewayError ? err.code : 'SWY_INTERNAL');
      throw err;
    } finally {
      span?.end();
      this.core.affinity.leave(ref);
    }
    if (msg.method === 'tools/call' && 'result' in outcome && this.core.config.validation.output) {
      const definition = this.core.schemas.find(upstream.lists.tools, target.upstreamTarget!);
      if (definition && outcome.result.task === undefined)
        this.core.schemas.checkResult(definition, target.target!, upstream.name, outcome.result);
    }
    // Task ids get their upstream's prefix (and a task created here, its owner).
    if ('result' in outcome && (msg.method === 'tools/call' || TASK_METHODS.has(msg.method))) {
      const creates = msg.method === 'tools/call' ? session.id : undefined;
      outcome = { result: this.core.tasks.toClient(upstream.name, outcome.result, creates) };
    }
    return outcome;
  }

  /**
   * authorize, for a client's request and a bridged call alike: policy, rate limits, then for a
   * tool call whether the tool is still the one approved and its arguments are valid. Refusals
   * are thrown; invalid arguments are returned (they are answered as a tool error).
   */
  private async admit(
    rec: RequestRecord,
    principal: Principal,
    msg: RpcRequest,
    target: Target,
    catalog: Catalog,
  ): Promise<GatewayError | undefined> {
    const subject = this.authorize(rec, principal, msg, target);
    const limited = this.core.limits.check(principal, subject);
    if (limited) await limited;
    return msg.method === 'tools/call' && target.kind === 'upstream'
      ? this.checkTool(rec, catalog, target, msg)
      : undefined;
  }

  /** Policy on what the request reaches; the decision goes on the record either way. */
  private authorize(
    rec: RequestRecord,
    principal: Principal,
    msg: RpcRequest,
    target: Target,
  ): PolicyTarget | undefined {
    const subject =
      target.kind === 'upstream'
        ? mcpSubject({
            method: msg.method,
            params: target.params,
            upstream: target.upstream.name,
            target: target.target,
            upstreamTarget: target.upstreamTarget,
          })
        : // The gateway's own resources (switchyard://…) are answered locally but governed all the same.
          target.method === 'resources/read' && typeof msg.params?.uri === 'string'
          ? mcpSubject({ method: msg.method, params: msg.params, target: msg.params.uri })
          : target.method === 'resources/subscribe' && typeof msg.params?.uri === 'string'
            ? mcpSubject({
                method: msg.method,
                params: msg.params,
                upstream: this.core.catalog().resource(msg.params.uri)?.name,
                target: msg.params.uri,
              })
            : undefined;
    if (!subject) return undefined;
    this.decideOrThrow(rec, principal, subject);
    // A bridged agent's skill tool is also the skill itself: `skills:` rules apply to it.
    const skill =
      target.kind === 'upstream' && msg.method === 'tools/call'
        ? target.upstream.skillOf?.(target.upstreamTarget!)
        : undefined;
    if (skill !== undefined && target.kind === 'upstream') {
      const decision = rec.decision;
      this.decideOrThrow(rec, principal, { kind: 'skill', name: skill, upstream: target.upstream.name });
      rec.decision = decision; // the tool's rule decided the call; the skill's only could refuse it
    }
    return subject;
  }

  /** Pinning and name checks: a refused name or a quarantined definition never reaches the upstream. */
  /**
   * Pinning, name checks and argument validation. Invalid arguments come back as the error (MCP
   * 2025-11-25 §Tools: input validation errors are tool execution errors, so a model can correct
   * itself); everything else is thrown.
   */
  private checkTool(
    rec: RequestRecord,
    catalog: Catalog,
    target: UpstreamTarget,
    msg: RpcRequest,
  ): GatewayError | undefined {
    const name = target.target!;
    const reason = this.core.authz.rejectedNames(catalog).get(name);
    if (reason) throw new GatewayError('SWY_TOOL_NAME_REJECTED', { name, reason });
    const upstream = target.upstream.name;
    const tool = target.upstreamTarget!;
    rec.definitionHash = this.core.pins.hashOf(upstream, tool);
    if (this.core.pins.isQuarantined(upstream, tool))
      throw new GatewayError('SWY_TOOL_QUARANTINED', { name, upstream, tool });
    if (this.core.config.validation.arguments) {
      const definition = this.core.schemas.find(target.upstream.lists.tools, tool);
      const problem =
        definition && this.core.schemas.argumentProblem(definition, name, msg.params?.arguments);
      if (problem) return problem;
    }
    return undefined;
  }

  /** Lists, ping, log level, subscriptions: the gateway answers these itself. */
  private answerLocally(
    method: Local,
    session: Session,
    msg: RpcRequest,
    cancellation: Cancellation,
    principal: Principal,
  ): Promise<CallOutcome> {
    return this.core.local.handle(method, session, msg.params, cancellation, principal).then(
      (result): CallOutcome => ({ result }),
      (err: unknown): CallOutcome => {
        // An upstream's own error (a failed resources/subscribe, say) is passed on as it came.
        if (err instanceof UpstreamAnswer) return { error: err.error };
        throw err;
      },
    );
  }

  /** A notification from a client. */
  notification(session: Session, msg: RpcNotification): void {
    switch (msg.method) {
      case 'notifications/cancelled': {
        // MCP §Cancellation: stop the request if it is still running; never answer it.
        const id = msg.params?.requestId as string | number | undefined;
        if (id !== undefined)
          session.inFlight.get(id)?.cancellation.cancel(msg.params?.reason ?? 'cancelled by client');
        return;
      }
      case 'notifications/roots/list_changed':
        this.core.local.rootsChanged(session);
        return;
      case 'notifications/initialized':
      default:
        return; // nothing to do (unknown notifications are ignored, per JSON-RPC)
    }
  }

  /** A client's answer to a request the gateway relayed to it (sampling, elicitation, roots). */
  response(session: Session, msg: RpcResponse): void {
    if (!session.deliverResponse(msg))
      this.core.log.debug({ session: session.id, id: msg.id }, 'unexpected response');
  }

  private fail(rec: RequestRecord, msg: RpcRequest, err: unknown): RpcResponse {
    const error = toJsonRpcError(err, rec.id);
    rec.outcome = 'error';
    rec.errorCode = err instanceof GatewayError ? err.code : 'SWY_INTERNAL';
    if (!(err instanceof GatewayError))
      this.core.log.error({ err, request: rec.id, method: rec.method }, 'internal error');
    return errorResponse(msg.id, error);
  }

  private finish(rec: RequestRecord): void {
    rec.durationMs = performance.now() - rec.start;
    this.core.metrics.record(rec);
    this.core.ledger?.append(toLedgerInput(rec));
    if (rec.span) this.core.tracing!.endRequest(rec.span, rec);
    if (this.core.log.isLevelEnabled('debug')) {
      // The keys the ledger redacts are redacted here too: a debug log is no place for a password.
      const args = rec.args === undefined ? undefined : redact(rec.args, this.core.config.audit.redactKeys);
      this.core.log.debug({ req: { ...rec, args } }, 'request');
    }
  }
}

/** A tool execution error (`isError: true`) carrying a gateway error's message. */
function toolError(err: GatewayError): JsonObject {
  return { content: [{ type: 'text', text: err.message }], isError: true };
}

/** Messages an upstream ties to a call go to the caller, on the call's own reply. */
function relatedSink(session: Session, reply: Reply, upstream: string, tasks: TaskDirectory): RelatedSink {
  return {
    progress: (params) => reply.related({ jsonrpc: '2.0', method: 'notifications/progress', params }),
    notification: (n) => {
      if (n.method === 'notifications/message') {
        if (session.wantsLog(n.params?.level)) reply.related(withLogger(n, upstream));
      } else reply.related(n.params ? { ...n, params: tasks.toClient(upstream, n.params) } : n);
    },
    request: (req, signal) =>
      session.request(
        { method: req.method, params: req.params && tasks.toClient(upstream, req.params) },
        signal,
        reply,
      ),
    supports: (method) => session.supports(method),
  };
}

/** Log messages carry the upstream's name in `logger` (`<upstream>` or `<upstream>/<its logger>`). */
export function withLogger(n: RpcNotification, upstream: string): RpcNotification {
  const logger = n.params?.logger;
  return {
    ...n,
    params: {
      ...n.params,
      logger: typeof logger === 'string' && logger ? `${upstream}/${logger}` : upstream,
    },
  };
}
