/**
 * The seam between agents and language models: one chat turn in, the model's answer out.
 *
 * Two implementations: an OpenAI-compatible chat-completions client (`providers/openai.ts`: vLLM,
 * Ollama, llama.cpp server, SGLang, DeepSeek…) and the embedded llama.cpp engine
 * (`providers/llamacpp/`, optional). The tool loop (`loop.ts`) depends on this file only.
 *
 * Providers report failures as GatewayErrors with the SWY_MODEL_* codes (errors.ts), after their
 * own retries; they never put an API key or a request header in a message.
 */
import type { JsonObject } from '../mcp/jsonrpc.js';

export interface ToolCall {
  /** The model's id for the call; a tool result answers it. */
  id: string;
  name: string;
  /** The arguments as the model wrote them: JSON text, which may be invalid. */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

/** A tool as the model sees it. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonObject;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatRequest {
  messages: readonly ChatMessage[];
  tools: readonly ToolSpec[];
  /** `required`: the answer must be a tool call; `none`: it must not be. Default `auto`. */
  toolChoice?: 'auto' | 'required' | 'none';
  temperature?: number;
  maxTokens?: number;
  /** Aborting stops generation (the HTTP request, or the engine's evaluation) at once. */
  signal: AbortSignal;
  /** Each piece of answer text, as the model produces it (not tool-call arguments). */
  onText?: (delta: string) => void;
}

export interface ChatResult {
  /** The answer text (empty when the model only called tools). */
  text: string;
  /** Calls the model asked for, in its order; run them and send back one tool message each. */
  toolCalls: ToolCall[];
  /** Token counts, when the model server reports them. */
  usage?: Usage;
  /** Why generation stopped: a final answer, tool calls, the token limit, or something else. */
  finishReason: 'stop' | 'tool_calls' | 'length' | 'other';
}

export interface ModelProvider {
  readonly kind: 'openai' | 'llamacpp';
  /** The configured model name (`models[].name`), for errors, metrics and the ledger. */
  readonly name: string;
  chat(req: ChatRequest): Promise<ChatResult>;
  /** Free what it holds (engine memory, connections). */
  close(): Promise<void>;
}
