/**
 * A GGUF writer for tests, and a tiny random-weight llama model built with it, so the embedded
 * llama.cpp engine is tested on a real model file without downloading one.
 *
 * Written from the GGUF specification (ggml `docs/gguf.md`, format version 3): a header, typed
 * metadata key/values, tensor infos, then tensor data, each tensor's data aligned to
 * `general.alignment` (32 when absent). Everything is little-endian. Only F32 tensors are written.
 */

/** The metadata value types this writer supports (the spec's type ids). */
const VALUE_TYPE = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 } as const;
/** ggml tensor type ids. */
const GGML_TYPE_F32 = 0;
const DEFAULT_ALIGNMENT = 32;

export type GgufValue =
  | { type: 'uint32'; value: number }
  | { type: 'int32'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'float32[]'; value: ArrayLike<number> }
  | { type: 'int32[]'; value: ArrayLike<number> };

export interface GgufTensor {
  name: string;
  /** ggml order: `dims[0]` varies fastest (a matrix with `dims[0]` columns and `dims[1]` rows). */
  dims: readonly number[];
  data: Float32Array;
}

/** Appends little-endian values to a growing list of buffers. */
class ByteWriter {
  private readonly parts: Buffer[] = [];
  length = 0;

  private push(buf: Buffer): void {
    this.parts.push(buf);
    this.length += buf.length;
  }

  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }

  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }

  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }

  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }

  u8(v: number): void {
    this.push(Buffer.from([v]));
  }

  /** A GGUF string: byte length (uint64), then UTF-8 bytes, no terminator. */
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }

  bytes(buf: Buffer): void {
    this.push(buf);
  }

  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad > 0) this.push(Buffer.alloc(pad));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case 'uint32':
      w.u32(VALUE_TYPE.uint32);
      w.u32(v.value);
      return;
    case 'int32':
      w.u32(VALUE_TYPE.int32);
      w.i32(v.value);
      return;
    case 'float32':
      w.u32(VALUE_TYPE.float32);
      w.f32(v.value);
      return;
    case 'bool':
      w.u32(VALUE_TYPE.bool);
      w.u8(v.value ? 1 : 0);
      return;
    case 'string':
      w.u32(VALUE_TYPE.string);
      w.str(v.value);
      return;
    case 'string[]':
      // An array value: the element type, the element count, then the elements without type tags.
      w.u32(VALUE_TYPE.array);
      w.u32(VALUE_TYPE.string);
      w.u64(v.value.length);
      for (const s of v.value) w.str(s);
      return;
    case 'float32[]':
      w.u32(VALUE_TYPE.array);
      w.u32(VALUE_TYPE.float32);
      w.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) w.f32(v.value[i]!);
      return;
    case 'int32[]':
      w.u32(VALUE_TYPE.array);
      w.u32(VALUE_TYPE.int32);
      w.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) w.i32(v.value[i]!);
      return;
  }
}

const align = (n: number, alignment: number) => n + ((alignment - (n % alignment)) % alignment);

/** Serialise a GGUF v3 file. The alignment is `general.alignment` when given (a multiple of 8). */
export function writeGguf(metadata: Record<string, GgufValue>, tensors: readonly GgufTensor[]): Buffer {
  const alignmentKv = metadata['general.alignment'];
  const alignment = alignmentKv?.type === 'uint32' ? alignmentKv.value : DEFAULT_ALIGNMENT;
  if (alignment <= 0 || alignment % 8 !== 0) throw new Error(`general.alignment must be a multiple of 8`);

  const w = new ByteWriter();
  w.bytes(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    w.str(key);
    writeValue(w, value);
  }

  // Offsets are relative to the start of the data section; each one is aligned.
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) {
      throw new Error(`tensor ${t.name}: dims ${t.dims.join('x')} do not match ${t.data.length} values`);
    }
    offset = align(offset, alignment);
    offsets.push(offset);
    offset += t.data.byteLength;
  }
  tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offsets[i]!);
  });

  w.padTo(alignment);
  const dataStart = w.length;
  tensors.forEach((t, i) => {
    w.padTo(alignment);
    if (w.length - dataStart !== offsets[i]) throw new Error('tensor offsets drifted');
    const bytes = Buffer.alloc(t.data.byteLength);
    t.data.forEach((x, j) => bytes.writeFloatLE(x, j * 4));
    w.bytes(bytes);
  });
  return w.toBuffer();
}

/** xorshift32 (Marsaglia): a small deterministic generator, uniform in [-1, 1). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x / 0x100000000) * 2 - 1;
  };
}

/** SentencePiece token types as llama.cpp reads them (`tokenizer.ggml.token_type`). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

export interface TinyLlamaOptions {
  seed?: number;
  /** Transformer blocks (default 2). */
  layers?: number;
  /** Embedding width (default 64; a multiple of `heads`). */
  embd?: number;
  /** Attention heads, all with their own keys and values (default 4). */
  heads?: number;
  /** Feed-forward width (default 128). */
  ff?: number;
  /** Trained context length written to the metadata (default 1024). */
  context?: number;
}

/**
 * The vocabulary: `<unk>`, `<s>`, `</s>`, the 256 byte-fallback tokens, then `▁` (SentencePiece's
 * space) and the printable ASCII characters, so ASCII text tokenizes to one token per character
 * and anything else falls back to bytes.
 */
export function tinyVocabulary(): { tokens: string[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE.byte);
  }
  tokens.push('\u2581');
  types.push(TOKEN_TYPE.normal);
  for (let c = 0x21; c <= 0x7e; c++) {
    tokens.push(String.fromCharCode(c));
    types.push(TOKEN_TYPE.normal);
  }
  return { tokens, types };
}

/**
 * A llama-architecture model with random weights that llama.cpp loads and runs (about 500 KB with
 * the defaults). It produces gibberish; what it is for is exercising loading, tokenization,
 * grammars, limits and cancellation. The same options always give the same bytes.
 */
export function tinyLlamaGguf(opts: TinyLlamaOptions = {}): Buffer {
  const { seed = 1, layers = 2, embd = 64, heads = 4, ff = 128, context = 1024 } = opts;
  if (embd % heads !== 0) throw new Error('embd must be a multiple of heads');
  const headDim = embd / heads;
  const { tokens, types } = tinyVocabulary();
  const vocab = tokens.length;
  // Byte tokens score lowest; single characters are all that is merged, so their scores only rank ties.
  const scores = types.map((t, i) => (t === TOKEN_TYPE.normal ? -i : t === TOKEN_TYPE.byte ? -1000 : 0));

  const rnd = random(seed);
  const matrix = (cols: number, rows: number, scale: number): GgufTensor['data'] =>
    Float32Array.from({ length: cols * rows }, () => rnd() * scale);
  const ones = (n: number) => new Float32Array(n).fill(1);
  const tensor = (name: string, dims: number[], data: Float32Array): GgufTensor => ({ name, dims, data });

  // Rows of the output matrix are per-token logit weights. Zeroing those of the control and byte
  // tokens keeps greedy decoding on printable characters and away from end-of-sequence, so an
  // unconstrained generation runs until the token limit: the behaviour tests want to bound.
  const output = matrix(embd, vocab, 1);
  types.forEach((t, id) => {
    if (t !== TOKEN_TYPE.normal) output.fill(0, id * embd, (id + 1) * embd);
  });

  const tensors: GgufTensor[] = [tensor('token_embd.weight', [embd, vocab], matrix(embd, vocab, 1))];
  const s = 1 / Math.sqrt(embd);
  for (let i = 0; i < layers; i++) {
    const b = `blk.${i}`;
    tensors.push(
      tensor(`${b}.attn_norm.weight`, [embd], ones(embd)),
      tensor(`${b}.attn_q.weight`, [embd, embd], matrix(embd, embd, s)),
      tensor(`${b}.attn_k.weight`, [embd, embd], matrix(embd, embd, s)),
      tensor(`${b}.attn_v.weight`, [embd, embd], matrix(embd, embd, s)),
      tensor(`${b}.attn_output.weight`, [embd, embd], matrix(embd, embd, s)),
      tensor(`${b}.ffn_norm.weight`, [embd], ones(embd)),
      tensor(`${b}.ffn_gate.weight`, [embd, ff], matrix(embd, ff, s)),
      tensor(`${b}.ffn_up.weight`, [embd, ff], matrix(embd, ff, s)),
      tensor(`${b}.ffn_down.weight`, [ff, embd], matrix(ff, embd, 1 / Math.sqrt(ff))),
    );
  }
  tensors.push(
    tensor('output_norm.weight', [embd], ones(embd)),
    tensor('output.weight', [embd, vocab], output),
  );

  const u32 = (value: number) => ({ type: 'uint32', value }) as const;
  return writeGguf(
    {
      'general.architecture': { type: 'string', value: 'llama' },
      'general.name': { type: 'string', value: 'switchyard-tiny-test' },
      'general.file_type': u32(0), // all F32
      'general.alignment': u32(DEFAULT_ALIGNMENT),
      'llama.context_length': u32(context),
      'llama.embedding_length': u32(embd),
      'llama.block_count': u32(layers),
      'llama.feed_forward_length': u32(ff),
      'llama.attention.head_count': u32(heads),
      'llama.attention.head_count_kv': u32(heads),
      'llama.attention.layer_norm_rms_epsilon': { type: 'float32', value: 1e-5 },
      'llama.rope.dimension_count': u32(headDim),
      'llama.rope.freq_base': { type: 'float32', value: 10000 },
      'llama.vocab_size': u32(vocab),
      'tokenizer.ggml.model': { type: 'string', value: 'llama' },
      'tokenizer.ggml.tokens': { type: 'string[]', value: tokens },
      'tokenizer.ggml.scores': { type: 'float32[]', value: scores },
      'tokenizer.ggml.token_type': { type: 'int32[]', value: types },
      'tokenizer.ggml.unknown_token_id': u32(0),
      'tokenizer.ggml.bos_token_id': u32(1),
      'tokenizer.ggml.eos_token_id': u32(2),
      'tokenizer.ggml.add_bos_token': { type: 'bool', value: true },
      'tokenizer.ggml.add_eos_token': { type: 'bool', value: false },
    },
    tensors,
  );
}
