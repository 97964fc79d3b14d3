import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from './load.js';

const model = { name: 'm', openai: { baseUrl: 'http://127.0.0.1:1/v1', model: 'x' } };

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, {});
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('config: models and agents', () => {
  it('accepts agents on declared models, with defaults filled in', () => {
    const cfg = validateConfig({ models: [model], agents: [{ name: 'a', model: 'm' }] }, {});
    expect(cfg.agents[0]).toMatchObject({ maxSteps: 8, tools: [], instructions: '', skills: [] });
    expect(cfg.models[0]).toMatchObject({ contextWindow: 8192, openai: { retries: 2, timeoutMs: 60_000 } });
    expect(cfg.agentCallDepth).toBe(4);
  });

  it('names every problem with its path', () => {
    expect(
      problems({
        upstreams: [
          { name: 'agent', mcp: { command: 'x' } },
          { name: 'docs', mcp: { command: 'x' } },
        ],
        a2a: { groups: [{ name: 'Maths', tools: ['*'] }] },
        models: [model, { ...model }],
        agents: [
          { name: 'a', model: 'nope' },
          { name: 'A', model: 'm' },
          { name: 'docs', model: 'm' },
          { name: 'maths', model: 'm' },
        ],
      }),
    ).toEqual([
      'models[1].name: duplicate model name "m" (also models[0].name)',
      'upstreams[0].name: the upstream name "agent" is reserved for the tools of the declared agents (agent.<name>)',
      'agents[0].model: no model named "nope" (declare it under models)',
      'agents[1].name: duplicate agent name "A" (also agents[0].name)',
      'agents[2].name: agent name "docs" is also upstreams[1].name; both would be /a2a/docs',
      'agents[3].name: agent name "maths" is also a2a.groups[0].name; both would be /a2a/maths',
    ]);
  });

  it('refuses a model with both or neither of openai and llamacpp, and unknown keys', () => {
    expect(problems({ models: [{ name: 'x' }] }).length).toBeGreaterThan(0);
    expect(problems({ models: [{ ...model, llamacpp: { modelPath: 'm.gguf' } }] }).join('\n')).toMatch(
      /models\[0\]/,
    );
    expect(problems({ models: [model], agents: [{ name: 'a', model: 'm', tools: 'docs.*' }] })).toEqual([
      expect.stringMatching(/^agents\[0\]\.tools: /),
    ]);
    expect(problems({ models: [model], agents: [{ name: 'a', model: 'm', maxSteps: 0 }] })).toEqual([
      expect.stringMatching(/^agents\[0\]\.maxSteps: /),
    ]);
  });
});
