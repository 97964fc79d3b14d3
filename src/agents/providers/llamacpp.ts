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
 * parse; the schema subset node-llama-cpp's grammar supports is described at `grammarSchema`.
 */
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { LlamaCppModelConfig } from '../../config/schema.js';
import { GatewayError } from '../../gateway/errors.js';
import type { ChatMessage, ChatRequest, ChatResult, ModelProvider, ToolSpec } from '../provider.js';

// ---------------------------------------------------------------------------------------------
// The parts of node-llama-cpp 3.21 used here. Typed locally so the gateway compiles whether or not
// the engine is installed; the import specifier is a variable for the same reason (and so bundlers
// leave it alone).

type HistoryItem =
  { type: 'system'; text: string } | { type: 'user'; text: string } | { type: 'model'; response: string[] };

interface Engine {
  getLlama(options: {
    gpu: false | 'auto';
    build: 'never';
    skipDownload: true;
    progressLogs: false;
  }): Promise<EngineLlama>;
  LlamaChat: new (options: { contextSequence: EngineSequence; chatWrapper: 'auto' }) => EngineChat;
}

interface EngineLlama {
  loadModel(options: { modelPath: string; gpuLayers: 'auto' | number }): Promise<EngineModel>;
  createGrammarForJsonSchema(schema: GrammarSchema): Promise<object>;
  dispose(): Promise<void>;
}

interface EngineModel {
  readonly tokenizer: unknown;
  createContext(options: { contextSize: number; sequences: 1; threads?: number }): Promise<EngineContext>;
  dispose(): Promise<void>;
}

interface EngineContext {
  readonly contextSize: number;
  getSequence(): EngineSequence;
  dispose(): Promise<void>;
}

interface EngineSequence {
  readonly tokenMeter: { readonly usedOutputTokens: number };
}

interface EngineChat {
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

async function importEngine(model: string): Promise<Engine> {
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

// ---------------------------------------------------------------------------------------------
// JSON Schema → the subset node-llama-cpp's grammar compiler accepts (its `GbnfJsonSchema`).

/** A schema in node-llama-cpp's grammar subset (built by `grammarSchema`). */
export type GrammarSchema = { readonly [key: string]: unknown };

/** Any JSON value: the grammar subset has no empty schema (an unknown schema means `null`). */
const ANY_JSON: GrammarSchema = {
  oneOf: [
    { type: ['string', 'number', 'boolean', 'null'] },
    { type: 'object', additionalProperties: true },
    { type: 'array' },
  ],
};

/** Integer ranges up to this many values become enums (the grammar has no numeric bounds). */
const MAX_ENUMERATED_INTEGERS = 256;
const STRING_FORMATS = new Set(['date-time', 'time', 'date']);
type Primitive = string | number | boolean | null;
const isPrimitive = (v: unknown): v is Primitive =>
  v === null || ['string', 'number', 'boolean'].includes(typeof v);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Map a tool's JSON Schema to what node-llama-cpp 3.21's grammar supports, keeping the output valid
 * against the original where the grammar allows:
 * - objects always contain every listed property (the grammar makes all of them required) and no
 *   others; an object without listed properties takes any keys;
 * - integer ranges of at most 256 values become enums; other numeric bounds and `multipleOf`
 *   beyond that are dropped (the tool validates its arguments);
 * - strings keep `minLength`/`maxLength` and the formats `date-time`, `time` and `date`; patterns
 *   and other formats are dropped;
 * - `anyOf` becomes `oneOf`; `allOf` is merged shallowly; `$ref` works within `$defs` or
 *   `definitions`; `not`, `if`/`then`/`else` and the like are ignored.
 */
export function grammarSchema(schema: unknown): GrammarSchema {
  if (!isRecord(schema)) return ANY_JSON;
  const defs = schema.$defs ?? schema.definitions;
  const withDefs = (out: GrammarSchema): GrammarSchema =>
    isRecord(defs) ? { ...out, $defs: mapValues(defs, grammarSchema) } : out;

  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const { allOf, ...rest } = schema;
    return grammarSchema((allOf as unknown[]).filter(isRecord).reduce(mergeSchemas, rest));
  }
  if ('const' in schema) return isPrimitive(schema.const) ? { const: schema.const } : ANY_JSON;
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter(isPrimitive);
    return values.length > 0 ? { enum: values } : ANY_JSON;
  }
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    return withDefs({ oneOf: alternatives.map(grammarSchema) });
  }
  if (typeof schema.$ref === 'string') {
    const m = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(schema.$ref);
    return m ? withDefs({ $ref: `#/$defs/${m[1]}` }) : ANY_JSON;
  }

  const type = schema.type ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined);
  if (Array.isArray(type)) {
    return withDefs({ oneOf: type.map((t: unknown) => grammarSchema({ ...schema, type: t })) });
  }
  switch (type) {
    case 'object': {
      const props = isRecord(schema.properties) ? schema.properties : {};
      const listed = Object.keys(props).length > 0;
      const extra = schema.additionalProperties;
      return withDefs({
        type: 'object',
        properties: mapValues(props, grammarSchema),
        additionalProperties:
          listed || extra === false ? false : isRecord(extra) ? grammarSchema(extra) : true,
      });
    }
    case 'array': {
      // Draft 2019 and earlier write tuples as an `items` array; 2020-12 as `prefixItems`.
      const tuple = Array.isArray(schema.items) ? schema.items : schema.prefixItems;
      return withDefs({
        type: 'array',
        ...(Array.isArray(tuple) && { prefixItems: tuple.map(grammarSchema) }),
        ...(isRecord(schema.items) && { items: grammarSchema(schema.items) }),
        ...(typeof schema.minItems === 'number' && { minItems: schema.minItems }),
        ...(typeof schema.maxItems === 'number' && { maxItems: schema.maxItems }),
      });
    }
    case 'string':
      if (typeof schema.format === 'string' && STRING_FORMATS.has(schema.format)) {
        return { type: 'string', format: schema.format };
      }
      return {
        type: 'string',
        ...(typeof schema.minLength === 'number' && { minLength: schema.minLength }),
        ...(typeof schema.maxLength === 'number' && { maxLength: schema.maxLength }),
      };
    case 'integer':
      return integerRange(schema) ?? { type: 'integer' };
    case 'number':
    case 'boolean':
    case 'null':
      return { type };
    default:
      return ANY_JSON;
  }
}

function integerRange(schema: Record<string, unknown>): GrammarSchema | undefined {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  // Draft 4 writes exclusive bounds as booleans beside minimum/maximum; later drafts as numbers.
  const min = num(schema.minimum);
  const max = num(schema.maximum);
  const exMin = num(schema.exclusiveMinimum) ?? (schema.exclusiveMinimum === true ? min : undefined);
  const exMax = num(schema.exclusiveMaximum) ?? (schema.exclusiveMaximum === true ? max : undefined);
  const lo = exMin !== undefined ? Math.floor(exMin) + 1 : min !== undefined ? Math.ceil(min) : undefined;
  const hi = exMax !== undefined ? Math.ceil(exMax) - 1 : max !== undefined ? Math.floor(max) : undefined;
  if (lo === undefined || hi === undefined || hi < lo || hi - lo >= MAX_ENUMERATED_INTEGERS) return undefined;
  const step = num(schema.multipleOf);
  const values: number[] = [];
  for (let v = lo; v <= hi; v++) if (!step || Number.isInteger(v / step)) values.push(v);
  return values.length > 0 ? { enum: values } : undefined;
}

function mergeSchemas(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const props = {
    ...(isRecord(a.properties) ? a.properties : {}),
    ...(isRecord(b.properties) ? b.properties : {}),
  };
  return { ...a, ...b, ...(Object.keys(props).length > 0 && { properties: props }) };
}

function mapValues<T>(o: Record<string, unknown>, f: (v: unknown) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** The shape of one model turn when tools are offered (see the module comment). */
export function answerSchema(tools: readonly ToolSpec[], toolRequired: boolean): GrammarSchema {
  const calls = tools.map((t) => ({
    type: 'object',
    properties: { tool: { const: t.name }, arguments: grammarSchema(t.parameters) },
  }));
  const answer = { type: 'object', properties: { answer: { type: 'string' } } };
  const options = toolRequired ? calls : [...calls, answer];
  return options.length === 1 ? options[0]! : { oneOf: options };
}

// ---------------------------------------------------------------------------------------------
// Prompting and reading the answer.

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

const FINISH: Record<string, ChatResult['finishReason']> = {
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

// ---------------------------------------------------------------------------------------------
// The provider.

interface Loaded {
  llama: EngineLlama;
  model: EngineModel;
  context: EngineContext;
  sequence: EngineSequence;
  chat: EngineChat;
}

/** Compiled grammars kept per model, keyed by their schema; tool sets change rarely. */
const GRAMMAR_CACHE_SIZE = 32;

export class LlamaCppProvider implements ModelProvider {
  readonly kind = 'llamacpp' as const;
  readonly name: string;
  private loading: Promise<Loaded> | undefined;
  /** Settles when the chat holding the model (if any) and every chat queued before it are done. */
  private tail: Promise<void> = Promise.resolve();
  private readonly grammars = new Map<string, Promise<object>>();
  private closed = false;

  constructor(private readonly config: LlamaCppModelConfig) {
    this.name = config.name;
  }

  async chat(req: ChatRequest): Promise<ChatResult> {
    req.signal.throwIfAborted();
    if (this.closed) {
      throw new GatewayError('SWY_MODEL_UNAVAILABLE', {
        model: this.name,
        detail: 'the engine was closed',
        retries: 0,
      });
    }
    const loaded = await untilAborted(this.load(), req.signal);
    return this.exclusive(req.signal, () => this.generate(loaded, req));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    const loaded = await this.loading?.catch(() => undefined);
    this.loading = undefined;
    this.grammars.clear();
    if (!loaded) return;
    loaded.chat.dispose();
    await loaded.context.dispose();
    await loaded.model.dispose();
    await loaded.llama.dispose();
  }

  /** The loaded model; concurrent callers share one load, and a failed load is retried next time. */
  private load(): Promise<Loaded> {
    this.loading ??= this.loadOnce().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  private async loadOnce(): Promise<Loaded> {
    const { modelPath, gpuLayers, contextSize, threads } = this.config.llamacpp;
    const unavailable = (detail: string, cause?: unknown) =>
      new GatewayError('SWY_MODEL_UNAVAILABLE', { model: this.name, detail, retries: 0 }, { cause });
    const path = resolve(modelPath);
    try {
      await access(path);
    } catch (err) {
      throw unavailable(`no readable model file at ${path} (models[].llamacpp.modelPath)`, err);
    }
    const engine = await importEngine(this.name);
    let llama: EngineLlama;
    try {
      // Prebuilt binaries only: `build: 'never'` and `skipDownload` keep the engine from compiling
      // llama.cpp or fetching its sources when no prebuilt binary loads.
      llama = await engine.getLlama({
        gpu: gpuLayers === 0 ? false : 'auto',
        build: 'never',
        skipDownload: true,
        progressLogs: false,
      });
    } catch (err) {
      throw new GatewayError(
        'SWY_ENGINE_MISSING',
        { model: this.name, detail: `no prebuilt llama.cpp binary loads on this machine: ${message(err)}` },
        { cause: err },
      );
    }
    try {
      const model = await llama.loadModel({ modelPath: path, gpuLayers });
      try {
        const context = await model.createContext({
          contextSize,
          sequences: 1,
          ...(threads !== undefined && { threads }),
        });
        const sequence = context.getSequence();
        const chat = new engine.LlamaChat({ contextSequence: sequence, chatWrapper: 'auto' });
        return { llama, model, context, sequence, chat };
      } catch (err) {
        await model.dispose().catch(() => undefined);
        throw err;
      }
    } catch (err) {
      await llama.dispose().catch(() => undefined);
      throw unavailable(`cannot load ${path}: ${message(err)}`, err);
    }
  }

  /** Run `fn` when every chat queued before it is done; leaving the queue when aborted. */
  private async exclusive<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    try {
      await untilAborted(previous, signal);
      return await fn();
    } finally {
      // An aborted waiter may leave early, but the next one still waits for those before it.
      previous.then(release, release);
    }
  }

  private async toolGrammar(
    llama: EngineLlama,
    tools: readonly ToolSpec[],
    toolRequired: boolean,
  ): Promise<object> {
    const schema = answerSchema(tools, toolRequired);
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = llama.createGrammarForJsonSchema(schema);
      if (this.grammars.size >= GRAMMAR_CACHE_SIZE) this.grammars.delete(this.grammars.keys().next().value!);
      this.grammars.set(key, grammar);
    }
    try {
      return await grammar;
    } catch (err) {
      this.grammars.delete(key);
      throw new GatewayError(
        'SWY_MODEL_UNAVAILABLE',
        {
          model: this.name,
          detail: `no grammar for the tools' parameter schemas: ${message(err)}`,
          retries: 0,
        },
        { cause: err },
      );
    }
  }

  private async generate(loaded: Loaded, req: ChatRequest): Promise<ChatResult> {
    const { llama, model, context, sequence, chat } = loaded;
    const withTools = req.tools.length > 0 && req.toolChoice !== 'none';
    const toolRequired = req.toolChoice === 'required';
    const history = toHistory(
      req.messages,
      withTools ? toolInstructions(req.tools, toolRequired) : undefined,
    );

    const promptTokens = chat.chatWrapper
      .generateContextState({ chatHistory: history })
      .contextText.tokenize(model.tokenizer).length;
    // Generation stops at the end of the context instead of shifting it: dropping turns silently
    // is the agent loop's call (it truncates with a note), not the engine's.
    const room = context.contextSize - 1 - promptTokens;
    if (room <= 0) {
      throw new GatewayError('SWY_MODEL_CONTEXT_OVERFLOW', {
        model: this.name,
        detail: `the prompt is ${promptTokens} tokens; the context holds ${context.contextSize} (models[].llamacpp.contextSize)`,
      });
    }
    const maxTokens = Math.min(req.maxTokens ?? this.config.llamacpp.maxTokens, room);
    const grammar = withTools ? await this.toolGrammar(llama, req.tools, toolRequired) : undefined;
    const stream = new AnswerStream();
    const onText = req.onText;
    const onTextChunk = !onText
      ? undefined
      : withTools
        ? (chunk: string) => {
            const delta = stream.push(chunk);
            if (delta) onText(delta);
          }
        : onText;

    const outputBefore = sequence.tokenMeter.usedOutputTokens;
    let out: Awaited<ReturnType<EngineChat['generateResponse']>>;
    try {
      out = await chat.generateResponse(history, {
        maxTokens,
        temperature: req.temperature ?? 0,
        signal: req.signal,
        ...(grammar && { grammar }),
        ...(onTextChunk && { onTextChunk }),
      });
    } catch (err) {
      req.signal.throwIfAborted();
      throw new GatewayError(
        'SWY_MODEL_UNAVAILABLE',
        { model: this.name, detail: `generation failed: ${message(err)}`, retries: 0 },
        { cause: err },
      );
    }
    const usage = { promptTokens, completionTokens: sequence.tokenMeter.usedOutputTokens - outputBefore };
    const finish = FINISH[out.metadata.stopReason] ?? 'other';
    if (!withTools) return { text: out.response, toolCalls: [], usage, finishReason: finish };
    if (!onText) stream.push(out.response);
    return { ...readAnswer(out.response, finish, stream.text, this.name), usage };
  }
}

/** Wait for `p`, or reject with the signal's reason as soon as it is aborted. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
