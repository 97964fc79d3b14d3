import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { silentLogger } from '../telemetry/logger.js';
import { exceedsDepth, ToolSchemas } from './validation.js';

const problem = (f: () => GatewayError | undefined | void) => {
  try {
    const e = f();
    return e ? `${e.code}: ${e.message}` : 'valid';
  } catch (e) {
    return e instanceof GatewayError ? `${e.code}: ${e.message}` : String(e);
  }
};

describe('tool schema validation', () => {
  const schemas = new ToolSchemas(silentLogger());

  it('checks arguments against a 2020-12 inputSchema', () => {
    const tool = {
      name: 't',
      inputSchema: {
        type: 'object',
        properties: {
          pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false },
          mode: { enum: ['a', 'b'] },
          when: { type: 'string', format: 'date' },
          ref: { $ref: '#/$defs/id' },
        },
        required: ['pair'],
        additionalProperties: false,
        $defs: { id: { type: 'integer', minimum: 1 } },
      },
    };
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', { pair: ['a', 1], mode: 'a', ref: 3 }))).toBe(
      'valid',
    );
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', { pair: ['a', 'b'] }))).toBe(
      'SWY_INVALID_ARGUMENTS: Invalid arguments for tool x.t: pair.1: must be number',
    );
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', { pair: ['a', 1, 2] }))).toContain('pair');
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', {}))).toContain(
      "must have required property 'pair'",
    );
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', { pair: ['a', 1], extra: 1 }))).toContain(
      'must NOT have additional properties (extra)',
    );
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', { pair: ['a', 1], mode: 'c' }))).toContain(
      '["a","b"]',
    );
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', { pair: ['a', 1], when: 'soon' }))).toContain(
      'must match format "date"',
    );
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', { pair: ['a', 1], ref: 0 }))).toContain('ref');
    // Missing arguments are checked as {}.
    expect(problem(() => schemas.argumentProblem(tool, 'x.t', undefined))).toContain('required');
  });

  it('compiles a schema that declares draft-07 as draft-07', () => {
    const tool = {
      name: 'old',
      inputSchema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { xs: { type: 'array', items: [{ type: 'string' }] } },
        definitions: {},
      },
    };
    expect(problem(() => schemas.argumentProblem(tool, 'old', { xs: ['a'] }))).toBe('valid');
    expect(problem(() => schemas.argumentProblem(tool, 'old', { xs: [1] }))).toContain('xs.0');
  });

  it('leaves a schema it cannot compile unenforced', () => {
    const tool = { name: 'odd', inputSchema: { type: 'object', properties: { a: { $ref: '#/nowhere' } } } };
    expect(problem(() => schemas.argumentProblem(tool, 'odd', { a: 1 }))).toBe('valid');
  });

  it('checks structured results against the outputSchema', () => {
    const tool = {
      name: 'add',
      inputSchema: { type: 'object' },
      outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
    };
    const check = (result: Record<string, unknown>) =>
      problem(() => schemas.checkResult(tool, 'u.add', 'u', result));
    expect(check({ content: [], structuredContent: { sum: 3 } })).toBe('valid');
    expect(check({ content: [], structuredContent: { sum: 'x' } })).toBe(
      'SWY_TOOL_OUTPUT_INVALID: Upstream "u" answered tool u.add with output that does not match its outputSchema: sum: must be number',
    );
    expect(check({ content: [] })).toContain('structuredContent is missing');
    expect(check({ content: [], isError: true })).toBe('valid');
  });

  it('measures nesting depth without recursion, even for a JSON bomb', () => {
    expect(exceedsDepth({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(exceedsDepth({ a: [1, { b: {} }] }, 3)).toBe(true);
    const bomb = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown;
    expect(exceedsDepth(bomb, 64)).toBe(true);
    expect(exceedsDepth('x', 0)).toBe(false);
  });
});
