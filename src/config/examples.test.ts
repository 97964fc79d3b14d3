/** The example configurations in examples/ stay valid as the schema changes. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from './load.js';

const dir = new URL('../../examples/', import.meta.url);

describe('examples/', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  it('has examples', () => expect(files.length).toBeGreaterThan(0));
  it.each(files)('%s is a valid config', (file) => {
    expect(() => parseConfigText(readFileSync(new URL(file, dir), 'utf8'), {}, file)).not.toThrow();
  });
});
