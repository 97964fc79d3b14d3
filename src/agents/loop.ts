/**
 * The tool loop: the model answers, or asks for tool calls; the calls run (in parallel, through the
 * gateway's data path, via `callTool`) and their results go back to the model; until it answers or
 * `maxSteps` model turns are used. Everything about where tools and history come from is the
 * caller's (runtime.ts); this file only sequences one run.
 *
 * What the model gets wrong is fed back so it can correct itself, never thrown: a tool it may not
 * use (also reported through `refuse`, which records it), arguments that are not JSON, a tool that
 * failed. Model failures (after the provider's retries) end the run with their SWY_MODEL_* error;
 * a context overflow is retried with a shorter history first.
 */
import { GatewayError } from '../errors/index.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import { clip, fitToContext } from './context.js';
import type { ChatMessage, ChatResult, ModelProvider, ToolCall, Usage } from './provider.js';
import type { AgentTool } from './tools.js';

export interface ToolOutcome {
  text: string;
  isError: boolean;
}

export interface LoopEvents {
  /** Answer text as the model streams it; `turn` counts model turns from 1. */
  text?(delta: string, turn: number): void;
  /** A turn ended in tool calls: what the model said in it (may be empty) and the tools it called. */
  toolCalls?(turn: number, said: string, tools: readonly string[]): void;
  /** One tool call finished (`name` as the gateway knows it, or as the model wrote it). */
  toolResult?(name: string, ok: boolean): void;
}

export interface LoopInput {
  provider: ModelProvider;
  instructions: string;
  /** The conversation before this message (oldest first). */
  earlier: readonly ChatMessage[];
  input: string;
  tools: readonly AgentTool[];
  maxSteps: number;
  temperature?: number;
  maxTokens?: number;
  /** The model's context length in tokens. */
  contextWindow: number;
  signal: AbortSignal;
  callTool(tool: AgentTool, args: JsonObject): Promise<ToolOutcome>;
  /** The model asked for a tool it may not use. */
  refuse(name: string): void;
  events?: LoopEvents;
}

export interface LoopResult {
  text: string;
  stop: 'answer' | 'max_steps';
  /** Model turns taken. */
  steps: number;
  toolCalls: number;
  usage: Usage;
  /** This run's messages, to keep with the conversation: the input, tool calls and results, the answer. */
  added: ChatMessage[];
  /** Time spent waiting for the model, and for tool batches (wall clock), in ms. */
  modelMs: number;
  toolMs: number;
}

/** Retries of a turn after the model said the prompt is too long (each halves the history budget). */
const OVERFLOW_RETRIES = 2;
/** Longest tool result passed to the model, in characters, before the context limit applies. */
const MAX_RESULT_CHARS = 16_000;

export async function runLoop(input: LoopInput): Promise<LoopResult> {
  const { provider, tools, signal } = input;
  const byModelName = new Map(tools.map((t) => [t.modelName, t]));
  const byGatewayName = new Map(tools.map((t) => [t.gatewayName, t]));
  const specs = tools.map((t) => t.spec);
  const system: ChatMessage = { role: 'system', content: input.instructions };
  const answerRoom = input.maxTokens ?? Math.min(1024, Math.floor(input.contextWindow / 4));
  let budget = input.contextWindow - answerRoom;
  const resultChars = Math.max(1000, Math.min(MAX_RESULT_CHARS, budget));
  const current: ChatMessage[] = [{ role: 'user', content: input.input }];
  const usage: Usage = { promptTokens: 0, completionTokens: 0 };
  let modelMs = 0;
  let toolMs = 0;
  let toolCalls = 0;

  const turn = async (step: number, last: boolean): Promise<ChatResult> => {
    for (let attempt = 0; ; attempt++) {
      const { messages } = fitToContext(system, input.earlier, current, specs, budget);
      const started = performance.now();
      try {
        return await provider.chat({
          messages,
          tools: specs,
          // The last turn must answer: a tool call there could never be answered.
          ...(specs.length > 0 ? { toolChoice: last ? 'none' : 'auto' } : {}),
          temperature: input.temperature,
          maxTokens: input.maxTokens,
          signal,
          onText: (delta) => input.events?.text?.(delta, step),
        });
      } catch (err) {
        const overflow = err instanceof GatewayError && err.code === 'SWY_MODEL_CONTEXT_OVERFLOW';
        if (!overflow || attempt >= OVERFLOW_RETRIES || input.earlier.length === 0) throw err;
        budget = Math.floor(budget / 2);
      } finally {
        modelMs += performance.now() - started;
      }
    }
  };

  const runCall = async (call: ToolCall): Promise<ChatMessage> => {
    const answer = (content: string, ok: boolean, name = call.name): ChatMessage => {
      input.events?.toolResult?.(name, ok);
      return { role: 'tool', toolCallId: call.id, name: call.name, content: clip(content, resultChars) };
    };
    const tool = byModelName.get(call.name) ?? byGatewayName.get(call.name);
    if (!tool) {
      input.refuse(call.name);
      const names = tools.map((t) => t.modelName).join(', ') || 'none';
      return answer(`Error: "${call.name}" is not a tool you can use. Your tools: ${names}.`, false);
    }
    let args: unknown;
    try {
      args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch (err) {
      return answer(
        `Error: the arguments are not valid JSON (${(err as Error).message}). Call ${tool.modelName} again with a JSON object that matches its parameters.`,
        false,
        tool.gatewayName,
      );
    }
    if (!args || typeof args !== 'object' || Array.isArray(args))
      return answer('Error: the arguments must be a JSON object.', false, tool.gatewayName);
    try {
      const out = await input.callTool(tool, args as JsonObject);
      return answer(out.isError ? `Error: ${out.text}` : out.text, !out.isError, tool.gatewayName);
    } catch (err) {
      if (signal.aborted) throw err;
      // Refusals (policy, rate limit, quarantine) and failures: the model may try something else.
      return answer(`Error: ${(err as Error).message}`, false, tool.gatewayName);
    }
  };

  for (let step = 1; step <= input.maxSteps; step++) {
    signal.throwIfAborted();
    const last = step === input.maxSteps;
    const result = await turn(step, last);
    if (result.usage) {
      usage.promptTokens += result.usage.promptTokens;
      usage.completionTokens += result.usage.completionTokens;
    }
    const done = (text: string, stop: LoopResult['stop']): LoopResult => {
      current.push({ role: 'assistant', content: text });
      return { text, stop, steps: step, toolCalls, usage, added: current, modelMs, toolMs };
    };
    if (result.toolCalls.length === 0) return done(result.text, 'answer');
    // The server ignored `toolChoice: none`: stop with what there is rather than call more tools.
    if (last)
      return done(
        result.text || `I stopped after ${input.maxSteps} steps without reaching an answer.`,
        'max_steps',
      );
    current.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls });
    input.events?.toolCalls?.(
      step,
      result.text,
      result.toolCalls.map((c) => byModelName.get(c.name)?.gatewayName ?? c.name),
    );
    toolCalls += result.toolCalls.length;
    const started = performance.now();
    const results = await Promise.all(result.toolCalls.map(runCall));
    toolMs += performance.now() - started;
    current.push(...results);
  }
  throw new Error('unreachable: the last turn always returns');
}
