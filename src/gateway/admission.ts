/**
 * The authorize step of the data path (pipeline.ts `run`), for every call alike: policy on the
 * routed target (never on the name as typed), rate limits, and for a tool call whether the tool is
 * still the one approved and its arguments are valid.
 *
 *   policy       the principal's rules on what the call reaches     → policy/authz.ts, rules.ts
 *   rate limits  wait, or 429 with Retry-After                       → policy/limits.ts
 *   names        a tool name the policy refuses                      → policy/authz.ts
 *   pinning      the definition approved for this tool               → policy/pinning.ts
 *   arguments    against the tool's inputSchema                      → policy/validation.ts
 *
 * Every decision goes on the request record, so the ledger entry says which rule decided.
 */
import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { RouteTable } from '../mcp/federation/route-table.js';
import type { JsonObject, RpcRequest } from '../mcp/jsonrpc.js';
import { mcpSubject, type Authorizer } from '../policy/authz.js';
import type { RateLimiter } from '../policy/limits.js';
import type { PinRegistry } from '../policy/pinning.js';
import type { Principal } from '../policy/principal.js';
import type { PolicyTarget } from '../policy/rules.js';
import type { ToolSchemas } from '../policy/validation.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { RequestRecord } from './request-record.js';
import type { Target } from './router.js';

type UpstreamTarget = Extract<Target, { kind: 'upstream' }>;

export interface AdmissionDeps {
  readonly config: Config;
  readonly authz: Authorizer;
  readonly limits: RateLimiter;
  readonly pins: PinRegistry;
  readonly schemas: ToolSchemas;
  readonly metrics: Metrics;
  routes(): RouteTable;
}

export class Admission {
  constructor(private readonly deps: AdmissionDeps) {}

  /**
   * Policy, rate limits, then for a tool call whether the tool is still the one approved and its
   * arguments are valid. Refusals are thrown; invalid arguments are returned (they are answered
   * as the tool's error, MCP 2025-11-25 §Tools, so that a model can correct its call).
   */
  async admit(
    rec: RequestRecord,
    principal: Principal,
    msg: RpcRequest,
    target: Target,
    routes: RouteTable,
  ): Promise<GatewayError | undefined> {
    const subject = this.authorize(rec, principal, msg, target);
    const limited = this.deps.limits.check(principal, subject);
    if (limited) await limited;
    return msg.method === 'tools/call' && target.kind === 'upstream'
      ? this.checkTool(rec, routes, target, msg)
      : undefined;
  }

  /** Decide; the decision goes on the record either way; a denial is counted and thrown. */
  decide(rec: RequestRecord, principal: Principal, subject: PolicyTarget): void {
    const decision = this.deps.authz.decide(principal, subject);
    rec.decision = decision;
    if (decision.effect === 'deny') {
      this.deps.metrics.policyDenials.labels(subject.kind).inc();
      throw new GatewayError('SWY_POLICY_DENIED', {
        principal: principal.name,
        kind: subject.kind,
        name: subject.name,
      });
    }
  }

  /** Policy on what the request reaches; what it was decided on is returned for the rate limits. */
  private authorize(
    rec: RequestRecord,
    principal: Principal,
    msg: RpcRequest,
    target: Target,
  ): PolicyTarget | undefined {
    const subject = subjectOf(msg, target, (uri) => this.deps.routes().resource(uri)?.name);
    if (!subject) return undefined;
    this.decide(rec, principal, subject);
    // A bridged agent's skill tool is also the skill itself: `skills:` rules apply to it.
    const skill =
      target.kind === 'upstream' && msg.method === 'tools/call'
        ? target.upstream.skillOf?.(target.upstreamTarget!)
        : undefined;
    if (skill !== undefined && target.kind === 'upstream') {
      const decision = rec.decision;
      this.decide(rec, principal, { kind: 'skill', name: skill, upstream: target.upstream.name });
      rec.decision = decision; // the tool's rule decided the call; the skill's only could refuse it
    }
    return subject;
  }

  /** Name checks, pinning and argument validation: a refused name or a quarantined definition never reaches the upstream. */
  private checkTool(
    rec: RequestRecord,
    routes: RouteTable,
    target: UpstreamTarget,
    msg: RpcRequest,
  ): GatewayError | undefined {
    const name = target.target!;
    const reason = this.deps.authz.rejectedNames(routes).get(name);
    if (reason) throw new GatewayError('SWY_TOOL_NAME_REJECTED', { name, reason });
    const upstream = target.upstream.name;
    const tool = target.upstreamTarget!;
    rec.definitionHash = this.deps.pins.hashOf(upstream, tool);
    if (this.deps.pins.isQuarantined(upstream, tool))
      throw new GatewayError('SWY_TOOL_QUARANTINED', { name, upstream, tool });
    if (this.deps.config.validation.arguments) {
      const definition = this.deps.schemas.find(target.upstream.lists.tools, tool);
      const problem =
        definition && this.deps.schemas.argumentProblem(definition, name, msg.params?.arguments);
      if (problem) return problem;
    }
    return undefined;
  }
}

/** What policy decides a request on: the routed target, or the gateway's own resource it reads. */
function subjectOf(
  msg: RpcRequest,
  target: Target,
  upstreamOfResource: (uri: string) => string | undefined,
): PolicyTarget | undefined {
  if (target.kind === 'upstream') {
    return mcpSubject({
      method: msg.method,
      params: target.params,
      upstream: target.upstream.name,
      target: target.target,
      upstreamTarget: target.upstreamTarget,
    });
  }
  const uri = msg.params?.uri;
  if (typeof uri !== 'string') return undefined;
  // The gateway's own resources (switchyard://…) are answered locally but governed all the same.
  if (target.method === 'resources/read')
    return mcpSubject({ method: msg.method, params: msg.params, target: uri });
  if (target.method === 'resources/subscribe')
    return mcpSubject({
      method: msg.method,
      params: msg.params,
      upstream: upstreamOfResource(uri),
      target: uri,
    });
  return undefined;
}

/** A tool execution error (`isError: true`) carrying a gateway error's message. */
export function toolError(err: GatewayError): JsonObject {
  return { content: [{ type: 'text', text: err.message }], isError: true };
}
