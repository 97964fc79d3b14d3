import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { Principal } from './principal.js';
import { canonicalResourceUri } from './resource-uri.js';
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

  it('decides on a resource by its canonical URI: no spelling of a path gets past a rule', () => {
    const set = policies([
      { name: 'public', effect: 'allow', principals: ['*'], resources: ['file:///srv/public/*'] },
      { name: 'home', effect: 'allow', principals: ['*'], resources: ['file:///home/%7ealice/*'] },
      { name: 'no-secret', effect: 'deny', principals: ['*'], resources: ['file:///srv//secret/*'] },
      { name: 'srv', effect: 'allow', principals: ['ops'], resources: ['file:///srv/*'] },
    ]);
    const decide = (uri: string, name = 'x') => set.decide(who(name), { kind: 'resource', name: uri });
    for (const uri of [
      'file:///srv/public/../../etc/passwd',
      'file:///srv/public/%2e%2e/%2e%2e/etc/passwd',
      'file:///srv/public/.%2E/.%2e/etc/passwd',
      'file:///srv/public/％2e％2e/etc/passwd', // fullwidth percent signs (NFKC)
      'file:///srv/public/．．/secret', // fullwidth full stops (NFKC)
    ]) {
      expect(decide(uri), uri).toEqual({ effect: 'deny', rule: 'default (no rule allows it)' });
    }
    for (const uri of [
      'file:///srv/public/..%2f..%2fetc/passwd',
      'file:///srv/public/..%2F..%2Fetc/passwd',
      'file:///srv/public/..%5c..%5cetc%5cpasswd',
      'file:///srv/public/..\\..\\etc\\passwd',
      'file:///srv/public/x\\y',
      'file:///srv/public/%252e%252e%252f%252e%252e/etc/passwd', // encoded twice
      'file:///srv/public/..;/..;/etc/passwd',
      'file:///srv/public/\t../x',
      'file:///srv/public/a\nb',
    ]) {
      expect(decide(uri), uri).toEqual({ effect: 'deny', rule: 'unsafe resource URI' });
    }
    for (const uri of [
      'file:///srv/secret/x',
      'file:///srv//secret/x',
      'file:///srv/./secret/x',
      'file:///srv/public/../secret/x',
      'file:///srv/%73ecret/x',
      'FILE:///SRV/SECRET/X',
      'file://localhost/srv/secret/x',
      'file:/srv/secret/x',
      ' file:///srv/secret/x',
    ]) {
      expect(decide(uri, 'ops'), uri).toEqual({ effect: 'deny', rule: 'no-secret' });
    }
    for (const uri of [
      'file:///srv/public/readme.txt',
      'file:///srv/public/./docs/../readme.txt',
      'file:///srv/public//readme.txt',
      'file:///srv/public/%7Euser/notes',
      'file:///srv/public/a%20b',
      'file:///srv/public/q?path=../../etc', // the query is not a path
      'file:///home/~alice/notes',
      'file:///home/%7Ealice/notes',
    ]) {
      expect(decide(uri).effect, uri).toBe('allow');
    }
    // Only resources: a tool or prompt name is not a URI.
    const any = policies([{ name: 'dots', effect: 'allow', principals: ['*'], tools: ['a/../b'] }]);
    expect(any.decide(who('x'), tool('a/../b')).effect).toBe('allow');
    // No policies: nothing is looked at.
    expect(new PolicySet([]).decide(who('x'), { kind: 'resource', name: 'file:///a/..%2f..%2fb' })).toEqual({
      effect: 'allow',
      rule: 'no policies',
    });
    expect(set.explain(who('x'), { kind: 'resource', name: 'file:///srv/public/..%2fsecret' })).toEqual({
      decision: { effect: 'deny', rule: 'unsafe resource URI' },
      matched: [],
    });
  });

  it('canonicalises resource URIs as RFC 3986 §6.2.2 does', () => {
    expect(canonicalResourceUri('file:///srv/./a/b/../c//d')).toBe('file:///srv/a/c/d');
    expect(canonicalResourceUri('file:///srv/a/..')).toBe('file:///srv/');
    expect(canonicalResourceUri('http://h/%7euser/%2f%e2%82%ac?q=%2e#f')).toBe(
      'http://h/~user/%2F%E2%82%AC?q=.#f',
    );
    expect(canonicalResourceUri('fixture://items/{id}')).toBe('fixture://items/{id}');
    expect(canonicalResourceUri('urn:isbn:0-486-27557-4')).toBe('urn:isbn:0-486-27557-4');
    expect(canonicalResourceUri('file://localhost/etc')).toBe('file:///etc');
    expect(canonicalResourceUri('file:/../../etc')).toBe('file:///etc');
    expect(canonicalResourceUri('file:///a/..%2fb')).toBeUndefined();
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

  it('restricts skills only for principals that rules with `skills` speak of', () => {
    const set = policies([
      { name: 'agents', effect: 'allow', principals: ['alice', 'bob'], agents: ['travel'] },
      {
        name: 'alice-skills',
        effect: 'allow',
        principals: ['alice'],
        upstreams: ['travel'],
        skills: ['book*'],
      },
    ]);
    const skill = (name: string, upstream = 'travel'): PolicyTarget => ({ kind: 'skill', name, upstream });
    expect(set.decide(who('alice'), skill('book-flight')).rule).toBe('alice-skills');
    expect(set.decide(who('alice'), skill('find-hotel'))).toEqual({
      effect: 'deny',
      rule: 'default (no rule allows it)',
    });
    // Bob's skills, and Alice's on another agent, are not restricted: the agent rule decides.
    expect(set.decide(who('bob'), skill('find-hotel'))).toEqual({
      effect: 'allow',
      rule: 'no rule restricts skills',
    });
    expect(set.decide(who('alice'), skill('find-hotel', 'weather')).effect).toBe('allow');
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
