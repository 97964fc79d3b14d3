/**
 * The authorize step: a routed MCP request (or an A2A one) and its principal → a decision, the
 * lists each principal sees, and the upstreams each may use (who may receive what an upstream sends
 * outside a call). Policy sets are compiled once per config snapshot; filtered lists and usable
 * upstreams are cached per route table and principal, so both stay cheap.
 */
import type { Config } from '../config/schema.js';
import type { RouteTable } from '../mcp/federation/route-table.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import { screenToolNames } from './names.js';
import type { Principal } from './principal.js';
import { PolicySet, type Decision, type PolicyTarget } from './rules.js';

export interface VisibleLists {
  tools: readonly JsonObject[];
  prompts: readonly JsonObject[];
  resources: readonly JsonObject[];
  resourceTemplates: readonly JsonObject[];
}

/** What of a routed MCP request policy looks at. */
export interface RoutedRequest {
  method: string;
  params: JsonObject | undefined;
  upstream?: string;
  /** What the client named, and what the upstream calls it. */
  target?: string;
  upstreamTarget?: string;
}

export class Authorizer {
  private policies: Config['policies'] | undefined;
  private runtimeSeen: Config['policies'] | undefined;
  /** Rules added through the admin API (kept in the store), after the config file's. */
  runtime: Config['policies'] = [];
  private set = new PolicySet([]);
  private lists = new WeakMap<RouteTable, Map<string, VisibleLists>>();
  private usable = new WeakMap<RouteTable, Map<string, ReadonlySet<string>>>();
  private readonly screened = new WeakMap<RouteTable, Map<string, string>>();
  /** Quarantined tools (pinning) are hidden from every list. */
  quarantine?: { readonly active: boolean; isQuarantined(upstream: string, tool: string): boolean };

  constructor(private readonly config: () => Config) {}

  get rules(): PolicySet {
    const policies = this.config().policies;
    if (policies !== this.policies || this.runtime !== this.runtimeSeen) {
      this.policies = policies;
      this.runtimeSeen = this.runtime;
      this.set = new PolicySet([...policies, ...this.runtime]);
      this.lists = new WeakMap();
      this.usable = new WeakMap();
    }
    return this.set;
  }

  /** The decision for one target; a front refuses with SWY_POLICY_DENIED on deny. */
  decide(principal: Principal, target: PolicyTarget): Decision {
    return this.rules.decide(principal, target);
  }

  /** Tools refused for their names (confusables, case/delimiter twins, borrowed prefixes). */
  rejectedNames(routes: RouteTable): Map<string, string> {
    let out = this.screened.get(routes);
    if (!out) {
      out = screenToolNames(
        routes,
        this.config().upstreams.map((u) => u.name),
      );
      this.screened.set(routes, out);
    }
    return out;
  }

  /** Forget cached lists (the quarantine changed without a new route table). */
  invalidate(): void {
    this.lists = new WeakMap();
  }

  /** The merged lists as this principal may see them. */
  visible(routes: RouteTable, principal: Principal): VisibleLists {
    const rules = this.rules;
    const rejected = this.rejectedNames(routes);
    if (rules.empty && !this.quarantine?.active && rejected.size === 0) return routes;
    let perPrincipal = this.lists.get(routes);
    if (!perPrincipal) {
      perPrincipal = new Map();
      this.lists.set(routes, perPrincipal);
    }
    const key = ruleKey(principal);
    let out = perPrincipal.get(key);
    if (out) return out;
    const allowed = (t: PolicyTarget) => rules.decide(principal, t).effect === 'allow';
    out = {
      tools: routes.tools.filter((t) => {
        const r = routes.tool(String(t.name));
        if (rejected.has(String(t.name))) return false;
        if (r && this.quarantine?.isQuarantined(r.upstream.name, r.name)) return false;
        return allowed({ kind: 'tool', name: String(t.name), alias: r?.name, upstream: r?.upstream.name });
      }),
      prompts: routes.prompts.filter((p) => {
        const r = routes.prompt(String(p.name));
        return allowed({ kind: 'prompt', name: String(p.name), alias: r?.name, upstream: r?.upstream.name });
      }),
      resources: routes.resources.filter((res) => {
        const uri = String(res.uri);
        return allowed({ kind: 'resource', name: uri, upstream: routes.resource(uri)?.name });
      }),
      resourceTemplates: routes.resourceTemplates.filter((t) => {
        const raw = String(t.uriTemplate);
        return allowed({ kind: 'resource', name: raw, upstream: routes.template(raw)?.name });
      }),
    };
    if (perPrincipal.size > 1000) perPrincipal.clear(); // bounded: principals are many only under attack
    perPrincipal.set(key, out);
    return out;
  }

  /**
   * May this principal use the upstream at all — is it allowed at least one tool, prompt, resource
   * or template the upstream offers? What an upstream sends outside any request (sampling,
   * elicitation and roots requests, log messages) goes only to principals for whom this holds.
   * Without rules everyone may; a principal not known yet (undefined) may not once rules exist.
   * Policy alone decides: quarantine and name checks judge definitions, not who may use them.
   */
  mayUseUpstream(routes: RouteTable, principal: Principal | undefined, upstream: string): boolean {
    const rules = this.rules;
    if (rules.empty) return true;
    if (!principal) return false;
    let perPrincipal = this.usable.get(routes);
    if (!perPrincipal) {
      perPrincipal = new Map();
      this.usable.set(routes, perPrincipal);
    }
    const key = ruleKey(principal);
    let names = perPrincipal.get(key);
    if (!names) {
      names = usableUpstreams(routes, (t) => rules.decide(principal, t).effect === 'allow');
      if (perPrincipal.size > 1000) perPrincipal.clear();
      perPrincipal.set(key, names);
    }
    return names.has(upstream);
  }
}

/** What rules see of a principal (its name and groups): the key of the per-principal caches. */
function ruleKey(principal: Principal): string {
  return `${principal.name}\u0000${principal.groups.join('\u0000')}`;
}

/** The upstreams that offer at least one thing `allowed` accepts (each decided once at most). */
function usableUpstreams(routes: RouteTable, allowed: (t: PolicyTarget) => boolean): ReadonlySet<string> {
  const out = new Set<string>();
  const consider = (upstream: string | undefined, target: Omit<PolicyTarget, 'upstream'>) => {
    if (upstream !== undefined && !out.has(upstream) && allowed({ ...target, upstream })) out.add(upstream);
  };
  for (const t of routes.tools) {
    const r = routes.tool(String(t.name));
    consider(r?.upstream.name, { kind: 'tool', name: String(t.name), alias: r?.name });
  }
  for (const p of routes.prompts) {
    const r = routes.prompt(String(p.name));
    consider(r?.upstream.name, { kind: 'prompt', name: String(p.name), alias: r?.name });
  }
  for (const res of routes.resources) {
    const uri = String(res.uri);
    consider(routes.resource(uri)?.name, { kind: 'resource', name: uri });
  }
  for (const t of routes.resourceTemplates) {
    const raw = String(t.uriTemplate);
    consider(routes.template(raw)?.name, { kind: 'resource', name: raw });
  }
  return out;
}

/** What policy decides on for a routed MCP request; undefined for requests it does not govern. */
export function mcpSubject(r: RoutedRequest): PolicyTarget | undefined {
  const name = r.target;
  if (name === undefined) return undefined;
  const alias = r.upstreamTarget !== name ? r.upstreamTarget : undefined;
  const base = {
    name,
    ...(alias !== undefined ? { alias } : {}),
    ...(r.upstream ? { upstream: r.upstream } : {}),
  };
  switch (r.method) {
    case 'tools/call':
      return { kind: 'tool', ...base };
    case 'prompts/get':
      return { kind: 'prompt', ...base };
    case 'resources/read':
    case 'resources/subscribe':
      return { kind: 'resource', ...base };
    case 'completion/complete': {
      const ref = r.params?.ref as JsonObject | undefined;
      return { kind: ref?.type === 'ref/prompt' ? 'prompt' : 'resource', ...base };
    }
    default:
      return undefined; // tasks/* follow the call that created them
  }
}
