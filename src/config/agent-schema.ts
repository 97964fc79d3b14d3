/**
 * The config sections for models (OpenAI-compatible servers, embedded llama.cpp) and the agents
 * that run on them. Part of the one config schema (`schema.ts`).
 */
import { z } from 'zod';
import { artifactName } from './catalog-schema.js';
import { durationMs, name, stringMap } from './schema-parts.js';

const modelCommon = {
  name: name.describe('Unique model name; agents refer to it in `agents[].model`.'),
  description: z.string().optional().describe('What the model is (shown in agent cards).'),
  contextWindow: z
    .number()
    .int()
    .min(256)
    .default(8192)
    .describe(
      "The model's context length in tokens. Conversation history beyond it is truncated (oldest turns " +
        'first, with a note), estimating 4 characters per token.',
    ),
  artifacts: z
    .array(artifactName)
    .optional()
    .describe(
      'Catalog entries (the model, its weights, training data) behind this model; agents using it ' +
        'inherit them, their licenses are checked against `licensePolicy` and shown in agent cards.',
    ),
};

export const OpenAiModelSchema = z
  .strictObject({
    ...modelCommon,
    openai: z
      .strictObject({
        baseUrl: z
          .url()
          .describe('The API base, ending before `/chat/completions`, e.g. http://127.0.0.1:11434/v1.'),
        model: z.string().min(1).describe('The model id the server knows, e.g. qwen2.5:7b-instruct.'),
        apiKey: z
          .string()
          .optional()
          .describe('Sent as `Authorization: Bearer …` (use `${ENV_VAR}`). Never logged.'),
        headers: stringMap.optional().describe('Extra HTTP headers on every request (values never logged).'),
        timeoutMs: durationMs(
          'Longest wait for the response to start and between streamed chunks; then the request is retried.',
          60_000,
        ),
        retries: z
          .number()
          .int()
          .min(0)
          .max(10)
          .default(2)
          .describe('Retries (with exponential backoff) after 429, 5xx, timeouts and connection errors.'),
        retryDelayMs: durationMs('First retry delay; doubled each retry (Retry-After is honoured).', 500),
      })
      .describe(
        'An OpenAI-compatible chat-completions server: vLLM, Ollama, llama.cpp server, SGLang, DeepSeek…',
      ),
  })
  .describe('A model behind an OpenAI-compatible API.');

export const LlamaCppModelSchema = z
  .strictObject({
    ...modelCommon,
    llamacpp: z
      .strictObject({
        modelPath: z.string().min(1).describe('Path of the GGUF file (relative to the working directory).'),
        contextSize: z.number().int().min(64).default(4096).describe('Context size in tokens.'),
        gpuLayers: z
          .union([z.number().int().min(0), z.literal('auto')])
          .default('auto')
          .describe('Layers offloaded to a GPU (`auto`: as many as fit; 0: CPU only).'),
        threads: z.number().int().min(1).optional().describe('CPU threads (default: what llama.cpp picks).'),
        maxTokens: z.number().int().min(1).default(1024).describe('Most tokens generated per model turn.'),
      })
      .describe(
        'The embedded llama.cpp engine (optional dependency `node-llama-cpp@3.21.1`; install it to use this).',
      ),
  })
  .describe('A GGUF model run in-process by llama.cpp.');

export const AgentSchema = z
  .strictObject({
    name: name.describe(
      'Unique name: served as an A2A agent at /a2a/<name> and as the MCP tool `agent.<name>`.',
    ),
    description: z.string().optional().describe('What the agent does (its card and tool description).'),
    model: name.describe('The `models[].name` it runs on.'),
    instructions: z.string().default('').describe('The system prompt.'),
    tools: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'What the agent may use: gateway tool names or globs (`*` any run, `?` one; case-sensitive), e.g. ' +
          '`docs.*`, and A2A agents (`agent:travel`, `agent:*`); the caller must be allowed each by policy.',
      ),
    maxSteps: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(8)
      .describe('Most model turns in one run; the run stops with what it has after the last.'),
    temperature: z
      .number()
      .min(0)
      .max(2)
      .optional()
      .describe('Sampling temperature (model default if unset).'),
    maxTokens: z.number().int().min(1).optional().describe('Most tokens the model may generate per turn.'),
    skills: z
      .array(
        z.strictObject({
          id: z.string().min(1).describe('Skill id.'),
          name: z.string().optional().describe('Display name (default: the id).'),
          description: z.string().min(1).describe('What the agent does with this skill.'),
          tags: z.array(z.string()).default([]).describe('Keywords for discovery.'),
          examples: z.array(z.string()).default([]).describe('Example requests.'),
        }),
      )
      .default([])
      .describe('Skills listed on its A2A card (default: one skill from the description).'),
    artifacts: z
      .array(artifactName)
      .optional()
      .describe("Further catalog entries the agent uses (its model's are included)."),
  })
  .describe('A declared agent: a model, instructions and a chosen set of gateway tools.');
