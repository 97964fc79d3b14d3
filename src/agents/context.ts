/**
 * Fitting a conversation into a model's context window.
 *
 * Token counts are estimated (4 characters per token, plus a little per message): providers do not
 * share one tokenizer, and the estimate only has to keep us clearly inside the window. The system
 * prompt and the current turn are always kept; older turns go first, whole (a tool result is never
 * kept without the call it answers), and a note tells the model that some were left out.
 */
import type { ChatMessage, ToolSpec } from './provider.js';

const CHARS_PER_TOKEN = 4;
const PER_MESSAGE = 4;

export function estimateTokens(messages: readonly ChatMessage[], tools: readonly ToolSpec[] = []): number {
  let chars = 0;
  for (const m of messages) {
    chars += m.content.length + PER_MESSAGE * CHARS_PER_TOKEN;
    if (m.role === 'assistant' && m.toolCalls)
      for (const c of m.toolCalls) chars += c.name.length + c.arguments.length;
  }
  for (const t of tools) chars += JSON.stringify(t).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * The messages to send: `system`, as much of `earlier` as fits (newest kept), then `current`.
 * `budget` is the tokens the prompt may take (the window minus room for the answer).
 */
export function fitToContext(
  system: ChatMessage,
  earlier: readonly ChatMessage[],
  current: readonly ChatMessage[],
  tools: readonly ToolSpec[],
  budget: number,
): { messages: ChatMessage[]; dropped: number } {
  const fixed = estimateTokens([system, ...current], tools);
  let room = budget - fixed;
  let keepFrom = earlier.length;
  // Walk back over whole turns (a turn starts at a user message).
  for (let i = earlier.length - 1; i >= 0; i--) {
    room -= estimateTokens([earlier[i]!]);
    if (room < 0) break;
    if (earlier[i]!.role === 'user') keepFrom = i;
  }
  const kept = earlier.slice(keepFrom);
  const dropped = keepFrom;
  if (dropped === 0) return { messages: [system, ...kept, ...current], dropped };
  const note: ChatMessage = {
    role: 'system',
    content: `[${dropped} earlier message${dropped === 1 ? ' was' : 's were'} left out of this conversation to fit the model's context.]`,
  };
  return { messages: [system, note, ...kept, ...current], dropped };
}

/** A tool result cut to a size the context can take, saying so. */
export function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[… ${text.length - maxChars} more characters cut to fit the context]`;
}
