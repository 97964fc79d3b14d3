/**
 * Authorization rules: principal/group → allow/deny on upstreams, tools, prompts, resources,
 * agents and skills, with globs. Deny overrides allow; once any rule exists, what no rule allows is
 * denied. Rules are compiled once per config snapshot; a decision names the rule that made it.
 *
 * Decisions are made on the routed target — the upstream and both the federated and the
 * upstream's own name — never on the string the client typed, so no spelling of a name (prefixed,
 * unprefixed, other case, other Unicode form) reaches a tool a rule denies. Resource URIs are
 * decided on in their canonical form (resource-uri.ts), so no spelling of a path reaches one.
 */
import { globMatcher, type GlobMatcher } from './globs.js';
import type { PolicyConfig } from '../config/schema.js';
import type { Principal } from './principal.js';
import { canonicalResourceGlob, canonicalResourceUri } from './resource-uri.js';

export type TargetKind = 'tool' | 'prompt' | 'resource' | 'agent' | 'skill';

export interface PolicyTarget {
  kind: TargetKind;
  /** The name clients see (federated tool/prompt name, URI, agent or skill name). */
  name: string;
  /** The upstream's own name for it, when different. */
  alias?: string;
  /** The upstream (A2A: the agent) serving it. */
  upstream?: string;
}

export interface Decision {
  effect: 'allow' | 'deny';
  /** The deciding rule's name, or `default` / `no policies`. */
  rule: string;
}

const LISTS = {
  tool: 'tools',
  prompt: 'prompts',
  resource: 'resources',
  agent: 'agents',
  skill: 'skills',
} as const;

interface CompiledRule {
  name: string;
  effect: 'allow' | 'deny';
  everyone: boolean;
  principals: Set<string>;
  groups: Set<string>;
  upstreams?: GlobMatcher;
  kinds?: Partial<Record<TargetKind, GlobMatcher>>;
}

export const ALLOW_ALL: Decision = Object.freeze({ effect: 'allow', rule: 'no policies' });
const SKILLS_UNRESTRICTED: Decision = Object.freeze({ effect: 'allow', rule: 'no rule restricts skills' });
const DEFAULT_DENY: Decision = Object.freeze({ effect: 'deny', rule: 'default (no rule allows it)' });
const UNSAFE_URI: Decision = Object.freeze({ effect: 'deny', rule: 'unsafe resource URI' });

export class PolicySet {
  private readonly rules: CompiledRule[];

  constructor(policies: readonly PolicyConfig[]) {
    this.rules = policies.map((p, i) => compile(p, i));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  decide(principal: Principal, target: PolicyTarget): Decision {
    if (this.rules.length === 0) return ALLOW_ALL;
    const subject = decidable(target);
    if (!subject) return UNSAFE_URI;
    // A skill narrows its agent (or bridged tool), which is decided on its own: skills are
    // restricted only for principals that rules with `skills:` speak of.
    if (subject.kind === 'skill' && !this.restrictsSkills(principal, subject)) return SKILLS_UNRESTRICTED;
    let allow: CompiledRule | undefined;
    for (const r of this.matching(principal, subject)) {
      if (r.effect === 'deny') return { effect: 'deny', rule: r.name };
      allow ??= r;
    }
    return allow ? { effect: 'allow', rule: allow.name } : DEFAULT_DENY;
  }

  /** Every rule that applies, in order (for `policy explain`). */
  explain(principal: Principal, target: PolicyTarget): { decision: Decision; matched: string[] } {
    const subject = decidable(target);
    return {
      decision: this.decide(principal, target),
      matched: subject ? [...this.matching(principal, subject)].map((r) => `${r.name} (${r.effect})`) : [],
    };
  }

  /** Does any rule with a `skills:` list apply to this principal (and the target's agent)? */
  private restrictsSkills(principal: Principal, target: PolicyTarget): boolean {
    const upstream = target.upstream === undefined ? undefined : normalize(target.upstream);
    return this.rules.some(
      (r) =>
        r.kinds?.skill !== undefined &&
        appliesTo(r, principal) &&
        (!r.upstreams || (upstream !== undefined && r.upstreams.test(upstream))),
    );
  }

  private *matching(principal: Principal, target: PolicyTarget): Generator<CompiledRule> {
    const name = normalize(target.name);
    const alias = target.alias === undefined ? undefined : normalize(target.alias);
    const upstream = target.upstream === undefined ? undefined : normalize(target.upstream);
    for (const r of this.rules) {
      if (!appliesTo(r, principal)) continue;
      if (r.upstreams && (upstream === undefined || !r.upstreams.test(upstream))) continue;
      if (r.kinds) {
        const re = r.kinds[target.kind];
        if (!re || !(re.test(name) || (alias !== undefined && re.test(alias)))) continue;
      }
      yield r;
    }
  }
}

function appliesTo(r: CompiledRule, principal: Principal): boolean {
  return r.everyone || r.principals.has(principal.name) || principal.groups.some((g) => r.groups.has(g));
}

/** The target as rules see it: a resource by its canonical URI; undefined for an unsafe URI. */
function decidable(target: PolicyTarget): PolicyTarget | undefined {
  if (target.kind !== 'resource') return target;
  const name = canonicalResourceUri(target.name);
  const alias = target.alias === undefined ? undefined : canonicalResourceUri(target.alias);
  if (name === undefined || (target.alias !== undefined && alias === undefined)) return undefined;
  return { ...target, name, ...(alias !== undefined ? { alias } : {}) };
}

function compile(p: PolicyConfig, index: number): CompiledRule {
  const kinds: Partial<Record<TargetKind, GlobMatcher>> = {};
  let anyKind = false;
  for (const [kind, key] of Object.entries(LISTS) as [TargetKind, (typeof LISTS)[TargetKind]][]) {
    const list = p[key];
    if (list) {
      kinds[kind] = ruleGlobs(kind === 'resource' ? list.map(canonicalResourceGlob) : list);
      anyKind = true;
    }
  }
  return {
    name: p.name ?? `policies[${index}]`,
    effect: p.effect,
    everyone: p.principals.includes('*'),
    principals: new Set(p.principals.filter((x) => !x.startsWith('group:'))),
    groups: new Set(p.principals.filter((x) => x.startsWith('group:')).map((x) => x.slice(6))),
    ...(p.upstreams ? { upstreams: ruleGlobs(p.upstreams) } : {}),
    ...(anyKind ? { kinds } : {}),
  };
}

/** Case- and compatibility-folded (NFKC): `ＥＣＨＯ` and `Echo` are both `echo` to a rule. */
export function normalize(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

/** Rules' globs, folded as names are (`normalize`), then matched by the one glob matcher. */
export function ruleGlobs(globs: readonly string[]): GlobMatcher {
  return globMatcher(globs.map(normalize));
}
