/**
 * The embedded llama.cpp engine: a GGUF model run in-process through node-llama-cpp, an optional
 * peer dependency (`npm run engine:install` in a checkout; `npm install node-llama-cpp@3.21.1` next
 * to an installed gateway).
 *
 * The engine is imported on the first chat, never at module load, and only prebuilt binaries are
 * used: nothing is compiled or downloaded at run time. One model load is shared by concurrent first
 * calls; a failed load is reported and tried again on a later call. Generation is serialised per
 * model (one context sequence, chats queue for it).
 *
 * Tool calls are produced under a grammar compiled from a JSON schema: the answer is one JSON object,
 * either `{"tool": <name>, "arguments": {...}}` for one of the tools or, unless a tool call is
 * required, `{"answer": "<text>"}`. So even a small model's call names a real tool and its arguments
 * parse; the schema subset node-llama-cpp's grammar supports is described at `grammarSchema`
 * (grammar.ts).
 */
export { LlamaCppProvider } from './provider.js';
export { answerSchema, grammarSchema, type GrammarSchema } from './grammar.js';
export { AnswerStream, readAnswer, toHistory, toolInstructions } from './transcript.js';
