import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDoc, renderErrorsDoc, renderJsonSchema } from './reference.js';

const committed = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('generated references', () => {
  it.each([
    ['schema/switchyard.schema.json', renderJsonSchema],
    ['docs/config.md', renderConfigDoc],
    ['docs/errors.md', renderErrorsDoc],
  ])('%s matches the schema (run `npm run generate` after changing it)', (path, render) => {
    expect(committed(path)).toBe(render());
  });

  it('documents every key of the schema', () => {
    const doc = renderConfigDoc();
    for (const key of [
      'server.port',
      'upstreams[].mcp.command (stdio)',
      'upstreams[].mcp.url (HTTP)',
      'upstreams[].prefix',
      'store',
    ]) {
      expect(doc).toContain(`\`${key}\``);
    }
  });
});
