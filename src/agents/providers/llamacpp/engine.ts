/**
 * The parts of node-llama-cpp 3.21 the embedded engine uses, and importing it. Typed here so the
 * gateway compiles whether or not the engine is installed; the import specifier is a variable for
 * the same reason (and so bundlers leave it alone).
 */
import { GatewayError } from '../../../errors/index.js';
import type { GrammarSchema } from './grammar.js';

export type HistoryItem =
  { type: 'system'; text: string } | { type: 'user'; text: string } | { type: 'model'; response: string[] };

export interface Engine {
  getLlama(options: {
    gpu: false | 'auto';
    build: 'never';
    skipDownload: true;
    progressLogs: false;
  }): Promise<EngineLlama>;
  LlamaChat: new (options: { contextSequence: EngineSequence; chatWrapper: 'auto' }) => EngineChat;
}

export interface EngineLlama {
  loadModel(options: { modelPath: string; gpuLayers: 'auto' | number }): Promise<EngineModel>;
  createGrammarForJsonSchema(schema: GrammarSchema): Promise<object>;
  dispose(): Promise<void>;
}

export interface EngineModel {
  readonly tokenizer: unknown;
  createContext(options: { contextSize: number; sequences: 1; threads?: number }): Promise<EngineContext>;
  dispose(): Promise<void>;
}

export interface EngineContext {
  readonly contextSize: number;
  getSequence(): EngineSequence;
  dispose(): Promise<void>;
}

export interface EngineSequence {
  readonly tokenMeter: { readonly usedOutputTokens: number };
}

export interface EngineChat {
  readonly chatWrapper: {
    generateContextState(options: { chatHistory: HistoryItem[] }): {
      contextText: { tokenize(tokenizer: unknown): unknown[] };
    };
  };
  /** Its stop reasons: 'eogToken', 'stopGenerationTrigger', 'customStopTrigger', 'maxTokens', 'abort'… */
  generateResponse(
    history: HistoryItem[],
    options: {
      grammar?: object;
      maxTokens: number;
      temperature: number;
      signal: AbortSignal;
      onTextChunk?: (text: string) => void;
    },
  ): Promise<{ response: string; metadata: { stopReason: string } }>;
  dispose(): void;
}

const ENGINE_PACKAGE = 'node-llama-cpp';

/** The engine package; fails with SWY_ENGINE_MISSING when it is not installed. */
export async function importEngine(model: string): Promise<Engine> {
  try {
    return (await import(ENGINE_PACKAGE)) as Engine;
  } catch (err) {
    // Not installed, or installed incompletely: the remedy is the same either way.
    throw new GatewayError(
      'SWY_ENGINE_MISSING',
      {
        model,
        detail: `${ENGINE_PACKAGE} cannot be imported (${message(err)}); in a checkout, run npm run engine:install`,
      },
      { cause: err },
    );
  }
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
