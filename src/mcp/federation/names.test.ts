import { describe, expect, it } from 'vitest';
import { assignNames, MAX_NAME, sanitize } from './names.js';

const names = (r: ReturnType<typeof assignNames>, upstream: string) =>
  Object.fromEntries(r.names.get(upstream)!);

describe('sanitize', () => {
  it('replaces characters outside [A-Za-z0-9_.-]', () => {
    expect(sanitize('get weather/now!')).toBe('get_weather_now_');
    expect(sanitize('')).toBe('_');
  });

  it('keeps long names within 128 characters and distinct', () => {
    const a = sanitize('x'.repeat(200) + 'a');
    const b = sanitize('x'.repeat(200) + 'b');
    expect(a.length).toBe(MAX_NAME);
    expect(b.length).toBe(MAX_NAME);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_.-]+$/);
  });
});

describe('assignNames', () => {
  it('prefixes always, never, and conditionally on collision', () => {
    const r = assignNames(
      'tool',
      [
        { upstream: 'a', prefix: 'always', names: ['echo', 'add'] },
        { upstream: 'b', prefix: 'never', names: ['search'] },
        { upstream: 'c', prefix: 'conditional', names: ['search', 'fetch'] },
      ],
      '.',
    );
    expect(names(r, 'a')).toEqual({ echo: 'a.echo', add: 'a.add' });
    expect(names(r, 'b')).toEqual({ search: 'search' });
    expect(names(r, 'c')).toEqual({ search: 'c.search', fetch: 'fetch' });
    expect(r.collisions).toEqual([]);
  });

  it('reports a collision and renames the later entry instead of hiding it', () => {
    const r = assignNames(
      'tool',
      [
        { upstream: 'a', prefix: 'never', names: ['echo'] },
        { upstream: 'b', prefix: 'never', names: ['echo'] },
      ],
      '_',
    );
    expect(names(r, 'a')).toEqual({ echo: 'echo' });
    expect(names(r, 'b')).toEqual({ echo: 'b_echo' });
    expect(r.collisions).toEqual([{ kind: 'tool', name: 'echo', kept: 'a', renamed: 'b', as: 'b_echo' }]);
  });

  it('numbers an entry whose prefixed name is also taken', () => {
    const r = assignNames(
      'tool',
      [
        { upstream: 'a', prefix: 'never', names: ['b.x'] },
        { upstream: 'b', prefix: 'always', names: ['x'] },
      ],
      '.',
    );
    expect(names(r, 'b')).toEqual({ x: 'b.x_2' });
    expect(r.collisions).toHaveLength(1);
  });
});
