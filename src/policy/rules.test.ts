import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { Principal } from './principal.js';
import { PolicySet, type PolicyTarget } from './rules.js';

const who = (name: string, ...groups: string[]): Principal => ({ name, groups, via: 'api-key' });
const tool = (name: string, upstream?: string, alias?: string): PolicyTarget => ({
  kind: 'tool',
  name,
  ...(upstream ? { upstream } : {}),
  ...(alias ? { alias } : {}),
});

function policies(list: unknown[]): PolicySet {
  return new PolicySet(validateConfig({ policies: list }).policies);
}

describe('policy rules', () => {
  it('allows everything when there are no policies', () => {
    expect(new PolicySet([]).decide(who('x'), tool('a.b'))).toEqual({ effect: 'allow', rule: 'no policies' });
  });

  it('denies by default once any policy exists, and deny overrides allow', () => {
    const set = policies([
      { name: 'dev-docs', effect: 'allow', principals: ['group:dev'], upstreams: ['docs'] },
      { name: 'no-delete', effect: 'deny', principals: ['*'], tools: ['*delete*'] },
    ]);
    expect(set.decide(who('ann', 'dev'), tool('docs.search', 'docs', 'search'))).toEqual({
      effect: 'allow',
      rule: 'dev-docs',
    });
    expect(set.decide(who('ann', 'dev'), tool('docs.delete_page', 'docs', 'delete_page'))).toEqual({
      effect: 'deny',
      rule: 'no-delete',
    });
    expect(set.decide(who('ann', 'dev'), tool('crm.search', 'crm', 'search')).effect).toBe('deny');
    expect(set.decide(who('bob'), tool('docs.search', 'docs', 'search'))).toEqual({
      effect: 'deny',
      rule: 'default (no rule allows it)',
    });
  });

  it("matches a tool by its federated name and by the upstream's own name, in any case or width", () => {
    const set = policies([
      { effect: 'allow', principals: ['*'] },
      { name: 'no-echo', effect: 'deny', principals: ['alice'], tools: ['echo'] },
    ]);
    const alice = who('alice');
    expect(set.decide(alice, tool('local.echo', 'local', 'echo')).rule).toBe('no-echo');
    expect(set.decide(alice, tool('echo', 'plain')).rule).toBe('no-echo');
    expect(set.decide(alice, tool('ECHO', 'plain')).rule).toBe('no-echo');
    expect(set.decide(alice, tool('ｅｃｈｏ', 'plain')).rule).toBe('no-echo'); // fullwidth (NFKC)
    expect(set.decide(alice, tool('local.echo2', 'local', 'echo2')).effect).toBe('allow');
    expect(set.decide(who('bob'), tool('echo', 'plain')).effect).toBe('allow');
  });

  it('scopes rules to the kinds they name and supports ? and * globs', () => {
    const set = policies([
      { name: 'p', effect: 'allow', principals: ['*'], prompts: ['greet-?'], resources: ['file:///pub/*'] },
    ]);
    expect(set.decide(who('x'), { kind: 'prompt', name: 'greet-1' }).effect).toBe('allow');
    expect(set.decide(who('x'), { kind: 'prompt', name: 'greet-10' }).effect).toBe('deny');
    expect(set.decide(who('x'), { kind: 'resource', name: 'file:///pub/a/b.txt' }).effect).toBe('allow');
    expect(set.decide(who('x'), { kind: 'resource', name: 'file:///etc/passwd' }).effect).toBe('deny');
    expect(set.decide(who('x'), tool('greet-1')).effect).toBe('deny'); // tools are not named by the rule
    // Regex characters in globs are literal.
    expect(set.decide(who('x'), { kind: 'resource', name: 'file:///pubX' }).effect).toBe('deny');
  });

  it('covers A2A agents and skills, the agent scoping its skills like an upstream', () => {
    const set = policies([
      { name: 'triage', effect: 'allow', principals: ['group:support'], agents: ['triage'] },
      {
        name: 'triage-skills',
        effect: 'allow',
        principals: ['group:support'],
        upstreams: ['triage'],
        skills: ['*'],
      },
      { name: 'no-refunds', effect: 'deny', principals: ['*'], skills: ['refund*'] },
    ]);
    const s = who('sam', 'support');
    expect(set.decide(s, { kind: 'agent', name: 'triage' }).effect).toBe('allow');
    expect(set.decide(s, { kind: 'skill', name: 'classify', upstream: 'triage' }).effect).toBe('allow');
    expect(set.decide(s, { kind: 'skill', name: 'refund', upstream: 'triage' }).rule).toBe('no-refunds');
    expect(set.decide(s, { kind: 'skill', name: 'classify', upstream: 'billing' }).effect).toBe('deny');
  });

  it('explains every rule that applies', () => {
    const set = policies([
      { name: 'all', effect: 'allow', principals: ['*'] },
      { name: 'ops-deny', effect: 'deny', principals: ['group:ops'], tools: ['*'] },
    ]);
    expect(set.explain(who('o', 'ops'), tool('a.b', 'a', 'b'))).toEqual({
      decision: { effect: 'deny', rule: 'ops-deny' },
      matched: ['all (allow)', 'ops-deny (deny)'],
    });
  });

  it('rejects malformed rules with a path', () => {
    expect(() => validateConfig({ policies: [{ effect: 'maybe', principals: [] }] })).toThrow(
      /policies\[0\]/,
    );
    expect(() => validateConfig({ policies: [{ effect: 'allow', principals: ['a b'] }] })).toThrow(
      /policies\[0\]\.principals\[0\]/,
    );
  });
});
