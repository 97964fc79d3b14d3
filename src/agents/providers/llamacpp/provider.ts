/**
 * The embedded engine as a `ModelProvider`: the model loaded once on the first chat, chats queued
 * for its one context sequence, tool calls generated under a grammar (cached per tool set).
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { LlamaCppModelConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../errors/index.js';
import type { ChatRequest, ChatResult, ModelProvider, ToolSpec } from '../../provider.js';
import {
  importEngine,
  message,
  type EngineChat,
  type EngineContext,
  type EngineLlama,
  type EngineModel,
  type EngineSequence,
} from './engine.js';
import { answerSchema } from './grammar.js';
import { AnswerStream, FINISH, readAnswer, toHistory, toolInstructions } from './transcript.js';

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
