/**
 * `switchyard policy explain`: which rule decides whether a principal may use a tool, prompt,
 * resource, agent or skill — from the config alone, without starting any upstream. A federated
 * name (`docs.search`) is split into its upstream and the upstream's own name by the configured
 * upstream names and separator.
 */
import type { Config } from '../config/schema.js';
import { PolicySet, type PolicyTarget, type TargetKind } from '../policy/rules.js';
import { configPath, fail, loadOrExit } from './shared.js';

interface ExplainOptions {
  config?: string;
  principal: string;
  group?: string[];
  tool?: string;
  prompt?: string;
  resource?: string;
  agent?: string;
  skill?: string;
  upstream?: string;
  json?: boolean;
}

export async function policyExplain(opts: ExplainOptions): Promise<void> {
  const config = await loadOrExit(configPath(opts.config));
  const given = (['tool', 'prompt', 'resource', 'agent', 'skill'] as const).filter(
    (k) => opts[k] !== undefined,
  );
  if (given.length !== 1) fail('name exactly one of --tool, --prompt, --resource, --agent, --skill');
  const kind: TargetKind = given[0]!;
  const target = subject(config, kind, opts[kind]!, opts.upstream);
  const principal = { name: opts.principal, groups: opts.group ?? [], via: 'api-key' as const };
  const set = new PolicySet(config.policies);
  const { decision, matched } = set.explain(principal, target);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ target, decision, matched })}\n`);
    return;
  }
  const what = `${kind} ${target.name}${target.upstream ? ` (upstream ${target.upstream}${target.alias ? `, its name ${target.alias}` : ''})` : ''}`;
  const lines = [
    `${decision.effect.toUpperCase()}: ${principal.name} → ${what}`,
    `deciding rule: ${decision.rule}`,
    `rules that apply: ${matched.length ? matched.join(', ') : 'none'}`,
  ];
  if (config.policies.length === 0) lines.push('(no policies are configured: everything is allowed)');
  else if (decision.rule.startsWith('default'))
    lines.push('(policies exist, so what no rule allows is denied)');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function subject(config: Config, kind: TargetKind, name: string, upstream?: string): PolicyTarget {
  if (upstream !== undefined) return { kind, name, upstream };
  if (kind === 'tool' || kind === 'prompt') {
    const sep = config.naming.separator;
    const u = config.upstreams.find((x) => name.startsWith(`${x.name}${sep}`));
    if (u) return { kind, name, alias: name.slice(u.name.length + sep.length), upstream: u.name };
  }
  return { kind, name };
}
