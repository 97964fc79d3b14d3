/**
 * The configurations docs/models.md and docs/agents.md show are real: each YAML block that
 * declares models or agents validates against the config schema (with agents given a model).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../config/load.js';

const env = { VLLM_KEY: 'k', DEEPSEEK_API_KEY: 'k', OLLAMA_KEY: 'k' };
const fallbackModel = { name: 'local-qwen', openai: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm' } };

function yamlBlocks(doc: string): string[] {
  const text = readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe.each(['models.md', 'agents.md'])('docs/%s', (doc) => {
  const blocks = yamlBlocks(doc).filter((b) => /^(models|agents):/m.test(b));

  it('has examples', () => expect(blocks.length).toBeGreaterThan(0));

  it.each(blocks.map((b, i) => [i, b] as const))('example %i is a valid config', (_i, block) => {
    const raw = parse(block) as { models?: unknown[]; agents?: unknown[] };
    if (raw.agents && !raw.models) raw.models = [fallbackModel];
    expect(() => validateConfig(raw, env)).not.toThrow();
  });
});
