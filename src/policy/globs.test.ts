import { describe, expect, it } from 'vitest';
import { globMatcher, matchGlob } from './globs.js';
import { normalize, ruleGlobs } from './rules.js';

describe('globs', () => {
  it('matches * as any run, ? as one character, the rest literally', () => {
    expect(matchGlob('docs.*', 'docs.search')).toBe(true);
    expect(matchGlob('docs.*', 'docs.')).toBe(true);
    expect(matchGlob('docs.*', 'docsXsearch')).toBe(false);
    expect(matchGlob('*delete*', 'files.delete_all')).toBe(true);
    expect(matchGlob('read_?', 'read_x')).toBe(true);
    expect(matchGlob('read_?', 'read_xy')).toBe(false);
    expect(matchGlob('read_?', 'read_')).toBe(false);
    expect(matchGlob('a*b*c', 'aXXbYYc')).toBe(true);
    expect(matchGlob('a*b*c', 'aXXbYY')).toBe(false);
    expect(matchGlob('*', '')).toBe(true);
    expect(matchGlob('', 'x')).toBe(false);
    expect(matchGlob('[a-z]+', '[a-z]+')).toBe(true); // no regex syntax
    expect(matchGlob('[a-z]+', 'b')).toBe(false);
    expect(matchGlob('Docs.*', 'docs.search')).toBe(false); // characters compare exactly
  });

  it('matches any of a list, and nothing for an empty one', () => {
    expect(globMatcher(['x', 'y*']).test('yes')).toBe(true);
    expect(globMatcher(['x', 'y*']).test('no')).toBe(false);
    expect(globMatcher([]).test('')).toBe(false);
  });

  it("means the same in agents' and groups' tool lists: names compared exactly", () => {
    const tools = globMatcher(['docs.*', 'everything.get-?', 'maths.add']);
    expect(['docs.search', 'everything.get-x', 'maths.add'].every((n) => tools.test(n))).toBe(true);
    expect(tools.test('everything.get-xy')).toBe(false);
    expect(tools.test('maths.add2')).toBe(false);
    // Two federated names can differ only in case; a list names the one it means.
    expect(tools.test('Docs.search')).toBe(false);
    expect(tools.test('MATHS.ADD')).toBe(false);
  });

  it('means the same in policy rules, which fold case and compatibility forms on both sides', () => {
    const rule = ruleGlobs(['Docs.*', 'read_?', '*DELETE*']);
    const decide = (name: string) => rule.test(normalize(name));
    expect(decide('docs.search')).toBe(true);
    expect(decide('DOCS.Search')).toBe(true);
    expect(decide('ｄｏｃｓ.search')).toBe(true); // fullwidth letters fold to ASCII (NFKC)
    expect(decide('read_x')).toBe(true);
    expect(decide('READ_X')).toBe(true);
    expect(decide('read_xy')).toBe(false);
    expect(decide('files.Delete_all')).toBe(true);
    expect(decide('files.list')).toBe(false);
  });

  it('takes time linear in the name per star, even for patterns that hang a backtracking regex', () => {
    const pattern = `${'*a'.repeat(12)}*c`;
    const name = `${'a'.repeat(5000)}b`;
    // A regex compiled from this pattern takes minutes on 60 characters; this answers at once.
    expect(matchGlob(pattern, name)).toBe(false);
    expect(matchGlob(pattern, `${name}c`)).toBe(true);
  });
});
