/**
 * The data path. Read this file first.
 *
 * Every call goes through `run(call)`, in this order, whoever makes it: a client's MCP request
 * over Streamable HTTP or stdio (`request`, once the front has framed it and found its session), a
 * tool call for an A2A client of a served MCP server, or one a declared agent's model makes
 * (`callTool`). A step added to `run` applies to all of them.
 *
 *   authenticate  the front's credential → a principal, or 401        → policy/authn.ts
 *               (once per HTTP exchange, before the messages are read out of it)
 *   accept      open a request record (`open`); refuse new work while draining
 *   route       find the upstream (or local handler) and rewrite names   → router.ts
 *   authorize   policy on the routed target (never on the name as typed),  → admission.ts
 *               rate limits (429 + Retry-After), name checks, pinning,
 *               arguments against the tool's inputSchema
 *   call        forward upstream with a fresh id (its own trace span), relaying progress,
 *               server-to-client requests and cancellation               → upstream/forwarder.ts
 *               (or answer locally: lists, ping, log level, subscriptions → federation/local.ts);
 *               the result against the tool's outputSchema               → policy/validation.ts
 *   respond     the upstream's result or error, unchanged (task ids mapped → federation/tasks.ts)
 *   record      close the record: metrics, span, ledger entry, log line  → request-record.ts
 *
 * How the caller is reached while a call runs is the only difference between entry points
 * (call.ts). The A2A front calls the same authenticate step and ledger with its own record.
 * Initialize creates the session and is handled by `initialize` below; notifications and the
 * client's answers to our requests take the short paths at the end of the file.
 */
import type { Span } from '@opentelemetry/api';
import { InitializeRequestSchema, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from '../config/schema.js';
import type { InFlightCalls } from '../mcp/federation/in-flight.js';
import type { RouteTable } from '../mcp/federation/route-table.js';
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
import { GatewayError, toJsonRpcError } from '../errors/index.js';
import { redact } from '../ledger/entry.js';
import type { LedgerSink } from '../ledger/writer.js';
import type { Authenticator } from '../policy/authn.js';
import type { Authorizer } from '../policy/authz.js';
import type { RateLimiter } from '../policy/limits.js';
import type { PinRegistry } from '../policy/pinning.js';
import type { ToolSchemas } from '../policy/validation.js';
import type { Credential, Principal } from '../policy/principal.js';
import { newRecord, toLedgerInput, type RequestRecord } from './request-record.js';
import { Admission, toolError } from './admission.js';
import { relatedSink, type Call, type CallEntry } from './call.js';
import { route, type Local, type Target } from './router.js';

type UpstreamTarget = Extract<Target, { kind: 'upstream' }>;

/** Protocol versions the front negotiates (MCP §Version Negotiation), newest first. */
export const SUPPORTED_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;

/** What the pipeline needs from the gateway around it. */
export interface Core {
  readonly config: Config;
  readonly sessions: SessionRegistry;
  readonly local: LocalHandlers;
  readonly inFlightCalls: InFlightCalls;
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
  routes(): RouteTable;
  capabilities(): JsonObject;
  instructions(): string | undefined;
}

export class Pipeline {
  private readonly admission: Admission;

  constructor(private readonly core: Core) {
    this.admission = new Admission(core);
  }

  /**
   * authenticate: who is asking. A refused credential is recorded (ledger, metrics) and thrown as
   * a 401 carrying its WWW-Authenticate challenge for the front to send.
   */
  async authenticate(cred: Credential, transport: RequestRecord['transport']): Promise<Principal> {
    try {
      return await this.core.auth.authenticate(cred);
    } catch (err) {
      const rec = newRecord(transport, undefined, 'authenticate', null);
      this.failed(rec, err);
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
      const err = new GatewayError('SWY_INVALID_PARAMS', { detail });
      this.failed(rec, err);
      this.finish(rec);
      return { response: errorResponse(msg.id, toJsonRpcError(err, rec.id)) };
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

  /** One request from a client in an initialized session: a call on the one path, answered on its reply. */
  async request(session: Session, msg: RpcRequest, reply: Reply, principal: Principal): Promise<void> {
    const call = this.open({
      transport: session.transport,
      context: session.id,
      msg,
      principal,
      session,
      waiting: session,
      via: reply,
      related: (upstream) => relatedSink(session, reply, upstream, this.core.tasks),
    });
    session.inFlight.set(msg.id, { cancellation: call.cancellation, reply, startedAt: call.record.start });
    try {
      const outcome = await this.run(call);
      // respond: the answer goes back as it came, under the client's id
      reply.respond(
        'result' in outcome
          ? { jsonrpc: '2.0', id: msg.id, result: outcome.result }
          : { jsonrpc: '2.0', id: msg.id, error: outcome.error },
      );
    } catch (err) {
      if (err instanceof CallCancelled)
        reply.cancelled(); // MCP §Cancellation: no answer
      else reply.respond(errorResponse(msg.id, toJsonRpcError(err, call.record.id)));
    } finally {
      session.inFlight.delete(msg.id);
    }
  }

  /**
   * A tools/call made on someone's behalf: for an A2A client (an MCP server served as an A2A
   * agent), or by a declared agent's model (`agent` names it; `depth` is how many agents deep the
   * call is). A call on the one path, as the principal who asked.
   */
  callTool(
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
      /** The span of the run or A2A request that asked: the call's span is its child. */
      parentSpan?: Span;
    },
  ): Promise<CallOutcome> {
    const related = opts.related;
    const params: JsonObject = {
      name,
      arguments: args,
      ...(opts.progressToken ? { _meta: { progressToken: opts.progressToken } } : {}),
    };
    return this.run(
      this.open({
        transport: opts.agent ? 'agent' : 'a2a',
        context: opts.context,
        msg: { jsonrpc: '2.0', id: 0, method: 'tools/call', params },
        principal,
        agent: opts.agent,
        depth: opts.depth,
        parentSpan: opts.parentSpan,
        cancellation: opts.cancellation,
        // Messages a shared-channel upstream sends during the call (elicitation …) find this caller.
        waiting: {
          identity: principal,
          supports: (method) => related.supports?.(method) ?? false,
          wantsLog: () => false,
          request: (req, signal) => related.request({ jsonrpc: '2.0', id: 0, ...req }, signal),
        },
        via: { related: (n) => ('id' in n ? undefined : related.notification(n)) },
        related: () => related,
      }),
    );
  }

  /**
   * The one call path: accept → route → authorize → call → record. Every front and every bridge
   * comes through here, so a step added here applies to all of them. Returns the upstream's (or
   * the gateway's own) answer; throws a GatewayError for a refusal and CallCancelled when the
   * caller cancelled. The record is finished either way.
   */
  async run(call: Call): Promise<CallOutcome> {
    const { record: rec, msg, principal } = call;
    try {
      // accept
      const refused = this.core.draining
        ? 'SWY_SHUTTING_DOWN'
        : this.core.ledger && !this.core.ledger.accepting
          ? 'SWY_AUDIT_BACKLOG'
          : msg.method === 'initialize'
            ? 'SWY_ALREADY_INITIALIZED'
            : undefined;
      if (refused) throw new GatewayError(refused);
      // route
      const routes = this.core.routes();
      const target = route(routes, msg.method, msg.params, {
        session: call.session?.id ?? '',
        directory: this.core.tasks,
      });
      if (target.kind === 'upstream') {
        rec.target = target.target;
        rec.upstream = target.upstream.name;
        rec.upstreamTarget = target.upstreamTarget;
        if (msg.params?.arguments !== undefined) rec.args = msg.params.arguments;
      }
      // authorize: policy, limits, then whether the tool is still the one that was approved
      const invalid = await this.admission.admit(rec, principal, msg, target, routes);
      if (invalid) {
        // Invalid arguments are not forwarded: they are the tool's error, for the model to fix.
        rec.outcome = 'error';
        rec.errorCode = invalid.code;
        return { result: toolError(invalid) };
      }
      // call: the upstream, or the gateway's own handler
      const outcome =
        target.kind === 'local'
          ? await this.answerLocally(target.method, call)
          : await this.callUpstream(target, call);
      rec.outcome = 'result' in outcome ? 'ok' : 'upstream_error';
      if ('error' in outcome) rec.errorCode = String(outcome.error.code);
      return outcome;
    } catch (err) {
      if (err instanceof CallCancelled) rec.outcome = 'cancelled';
      else this.failed(rec, err);
      throw err;
    } finally {
      // record
      this.finish(rec);
    }
  }

  /** A call's record (and span), opened as it enters. */
  private open(entry: CallEntry): Call {
    const rec = newRecord(entry.transport, entry.context, entry.msg.method, entry.msg.id);
    rec.principal = entry.principal.name;
    rec.agent = entry.agent;
    // A call on someone's behalf is traced only inside the trace of what asked for it.
    if (this.core.tracing && (entry.parentSpan || entry.session))
      rec.span = this.core.tracing.startRequest(rec, entry.parentSpan);
    return {
      record: rec,
      msg: entry.msg,
      principal: entry.principal,
      session: entry.session,
      depth: entry.depth ?? 0,
      cancellation: entry.cancellation ?? new Cancellation(),
      waiting: entry.waiting,
      via: entry.via,
      related: entry.related,
    };
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
    this.admission.decide(rec, principal, { kind: 'agent', name: agent, upstream: agent });
  }

  /**
   * May this principal ask this A2A agent for these skills (the skills a message names in its
   * metadata)? Policy kind `skill`; throws SWY_POLICY_DENIED.
   */
  authorizeSkills(rec: RequestRecord, principal: Principal, agent: string, skills: readonly string[]): void {
    for (const skill of skills)
      this.admission.decide(rec, principal, { kind: 'skill', name: skill, upstream: agent });
  }

  /** Forward to the routed upstream; relay what it sends about the call; map the answer back. */
  private async callUpstream(target: UpstreamTarget, call: Call): Promise<CallOutcome> {
    const { record: rec, msg } = call;
    const upstream = target.upstream;
    const ref = this.core.inFlightCalls.begin(upstream.name, call.waiting, call.via);
    const span = rec.span && this.core.tracing?.startUpstream(rec.span, rec);
    let outcome: CallOutcome;
    try {
      outcome = await upstream.call(msg.method, target.params, {
        cancellation: call.cancellation,
        related: call.related(upstream.name),
        caller: { principal: call.principal, depth: call.depth, span: span ?? rec.span },
      });
      if (span && 'error' in outcome) span.setAttribute('error.type', String(outcome.error.code));
    } catch (err) {
      span?.setAttribute('error.type', err instanceof GatewayError ? err.code : 'SWY_INTERNAL');
      throw err;
    } finally {
      span?.end();
      this.core.inFlightCalls.end(ref);
    }
    if (msg.method === 'tools/call' && 'result' in outcome && this.core.config.validation.output) {
      const definition = this.core.schemas.find(upstream.lists.tools, target.upstreamTarget!);
      if (definition && outcome.result.task === undefined)
        this.core.schemas.checkResult(definition, target.target!, upstream.name, outcome.result);
    }
    // Task ids get their upstream's prefix (and a task created here, its owner: the session).
    if (
      call.session &&
      'result' in outcome &&
      (msg.method === 'tools/call' || TASK_METHODS.has(msg.method))
    ) {
      const creates = msg.method === 'tools/call' ? call.session.id : undefined;
      outcome = { result: this.core.tasks.toClient(upstream.name, outcome.result, creates) };
    }
    return outcome;
  }

  /** Lists, ping, log level, subscriptions: the gateway answers these itself, for a client's session. */
  private answerLocally(method: Local, call: Call): Promise<CallOutcome> {
    // Only a client's session reaches a local method: what is called on someone's behalf is a tool.
    if (!call.session) throw new GatewayError('SWY_INTERNAL', { detail: `${method} without a session` });
    return this.core.local
      .handle(method, call.session, call.msg.params, call.cancellation, call.principal)
      .then(
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

  /** A refusal or an internal error, on the record (and in the log when it is not one of ours). */
  private failed(rec: RequestRecord, err: unknown): void {
    rec.outcome = 'error';
    rec.errorCode = err instanceof GatewayError ? err.code : 'SWY_INTERNAL';
    if (!(err instanceof GatewayError))
      this.core.log.error({ err, request: rec.id, method: rec.method }, 'internal error');
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
