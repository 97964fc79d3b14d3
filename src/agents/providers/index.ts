/** The provider for a configured model: an OpenAI-compatible server or the embedded engine. */
import type { ModelConfig } from '../../config/schema.js';
import type { ModelProvider } from '../provider.js';
import { LlamaCppProvider } from './llamacpp/index.js';
import { OpenAiProvider } from './openai.js';

export function createProvider(model: ModelConfig): ModelProvider {
  return 'openai' in model ? new OpenAiProvider(model) : new LlamaCppProvider(model);
}
