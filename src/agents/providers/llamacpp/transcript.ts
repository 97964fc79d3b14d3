/**
 * Prompting and reading the answer: the conversation as node-llama-cpp chat history (tools and how
 * to call them in the system text), the answer text streamed while the model writes its JSON, and
 * that JSON read back as a tool call or an answer.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../../errors/index.js';
import type { ChatMessage, ChatResult, ToolSpec } from '../../provider.js';
import type { HistoryItem } from './engine.js';
import { isRecord } from './grammar.js';

/** Tell the model which tools exist and how to answer; appended to the system text. */
export function toolInstructions(tools: readonly ToolSpec[], toolRequired: boolean): string {
  const list = tools
    .map((t) => `- ${t.name}: ${t.description}\n  arguments (JSON Schema): ${JSON.stringify(t.parameters)}`)
    .join('\n');
  const how = toolRequired
    ? 'Answer with one JSON object that calls a tool: {"tool": "<name>", "arguments": {...}}.'
    : 'Answer with one JSON object: {"tool": "<name>", "arguments": {...}} to call a tool, or ' +
      '{"answer": "<text>"} to reply directly.';
  return `You can use these tools:\n${list}\n${how}`;
}

/** How a tool call of an earlier turn is written back into the history: as the model wrote it. */
function renderToolCall(name: string, args: string): string {
  let parsed: unknown = args;
  try {
    parsed = JSON.parse(args);
  } catch {
    // Kept as the text the model produced.
  }
  return JSON.stringify({ tool: name, arguments: parsed });
}

/**
 * The conversation as node-llama-cpp chat history, ending with the empty model turn to generate.
 * Tool results become user turns (chat templates differ in how, or whether, they take them);
 * consecutive user turns are merged, since several templates expect user and model to alternate.
 */
export function toHistory(messages: readonly ChatMessage[], toolText: string | undefined): HistoryItem[] {
  const history: HistoryItem[] = [];
  const pushUser = (text: string) => {
    const last = history.at(-1);
    if (last?.type === 'user') last.text += `\n\n${text}`;
    else history.push({ type: 'user', text });
  };
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        history.push({ type: 'system', text: m.content });
        break;
      case 'user':
        pushUser(m.content);
        break;
      case 'tool':
        pushUser(`Result of tool ${m.name} (call ${m.toolCallId}):\n${m.content}`);
        break;
      case 'assistant': {
        const calls = (m.toolCalls ?? []).map((c) => renderToolCall(c.name, c.arguments));
        history.push({ type: 'model', response: [[m.content, ...calls].filter((s) => s !== '').join('\n')] });
        break;
      }
    }
  }
  if (toolText !== undefined) {
    const first = history[0];
    if (first?.type === 'system') first.text = first.text === '' ? toolText : `${first.text}\n\n${toolText}`;
    else history.unshift({ type: 'system', text: toolText });
  }
  history.push({ type: 'model', response: [] });
  return history;
}

/**
 * Streams the text of an `{"answer": "..."}` object while the model writes it: each call takes the
 * JSON produced so far and returns the newly decoded answer text (empty for a tool call, or while
 * an escape sequence is incomplete).
 */
export class AnswerStream {
  private raw = '';
  private emitted = '';
  private mode: 'undecided' | 'answer' | 'other' = 'undecided';

  /** The answer text decoded so far. */
  get text(): string {
    return this.emitted;
  }

  push(chunk: string): string {
    this.raw += chunk;
    if (this.mode === 'undecided') {
      const key = /^\s*\{\s*"([^"]*)"/.exec(this.raw);
      if (key) this.mode = key[1] === 'answer' ? 'answer' : 'other';
      else if (!/^\s*(\{\s*("[^"]*)?)?$/.test(this.raw)) this.mode = 'other';
    }
    if (this.mode !== 'answer') return '';
    const open = /^\s*\{\s*"answer"\s*:\s*"/.exec(this.raw);
    if (!open) return '';
    const body = this.raw.slice(open[0].length);
    // Decode up to the closing quote or an unfinished escape, whichever comes first.
    let end = 0;
    while (end < body.length && body[end] !== '"') {
      if (body[end] === '\\') {
        const len = body[end + 1] === 'u' ? 6 : 2;
        if (end + len > body.length) break;
        end += len;
      } else end += 1;
    }
    const decoded = JSON.parse(`"${body.slice(0, end)}"`) as string;
    const delta = decoded.slice(this.emitted.length);
    this.emitted = decoded;
    return delta;
  }
}

/** The engine's stop reasons, as finish reasons (anything else is `other`). */
export const FINISH: Record<string, ChatResult['finishReason']> = {
  eogToken: 'stop',
  stopGenerationTrigger: 'stop',
  customStopTrigger: 'stop',
  maxTokens: 'length',
};

/** Map the grammar-constrained output to a result. */
export function readAnswer(
  output: string,
  finish: ChatResult['finishReason'],
  partialAnswer: string,
  model: string,
): Pick<ChatResult, 'text' | 'toolCalls' | 'finishReason'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    // Cut off by the token limit: keep what the answer had (a cut-off tool call is no call).
    if (finish === 'length') return { text: partialAnswer, toolCalls: [], finishReason: 'length' };
    throw new GatewayError('SWY_MODEL_BAD_RESPONSE', {
      model,
      detail: `the engine's grammar-constrained output is not JSON: ${output.slice(0, 200)}`,
    });
  }
  if (isRecord(parsed) && typeof parsed.tool === 'string') {
    const call = {
      id: `call_${randomUUID()}`,
      name: parsed.tool,
      arguments: JSON.stringify(parsed.arguments ?? {}),
    };
    return { text: '', toolCalls: [call], finishReason: 'tool_calls' };
  }
  if (isRecord(parsed) && typeof parsed.answer === 'string') {
    return { text: parsed.answer, toolCalls: [], finishReason: finish };
  }
  throw new GatewayError('SWY_MODEL_BAD_RESPONSE', {
    model,
    detail: `the engine's output matches neither a tool call nor an answer: ${output.slice(0, 200)}`,
  });
}
