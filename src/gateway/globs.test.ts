import { describe, expect, it } from 'vitest';
import { globMatcher, globs, matchGlob } from './globs.js';

describe('globs', () => {
  it('matches * as any run, ? as one character, the rest literally', () => {
    expect(matchGlob('docs.*', 'docs.search')).toBe(true);
    expect(matchGlob('docs.*', 'docs.')).toBe(true);
    expect(matchGlob('docs.*', 'docsXsearch')).toBe(false);
    expect(matchGlob('*delete*', 'files.delete_all')).toBe(true);
    expect(matchGlob('read_?', 'read_x')).toBe(true);
    expect(matchGlob('read_?', 'read_xy')).toBe(false);
    expect(matchGlob('a*b*c', 'aXXbYYc')).toBe(true);
    expect(matchGlob('a*b*c', 'aXXbYY')).toBe(false);
    expect(matchGlob('*', '')).toBe(true);
    expect(matchGlob('', 'x')).toBe(false);
    expect(matchGlob('[a-z]+', '[a-z]+')).toBe(true); // no regex syntax
    expect(globs(['echo?'])('echo?')).toBe(true); // tool lists: ? is literal
    expect(globs(['echo?'])('echoX')).toBe(false);
    expect(globMatcher(['x', 'y*']).test('yes')).toBe(true);
  });

  it('takes time linear in the name per star, even for patterns that hang a backtracking regex', () => {
    const pattern = `${'*a'.repeat(12)}*c`;
    const name = `${'a'.repeat(5000)}b`;
    // A regex compiled from this pattern takes minutes on 60 characters; this answers at once.
    expect(matchGlob(pattern, name)).toBe(false);
    expect(matchGlob(pattern, `${name}c`)).toBe(true);
  });
});
