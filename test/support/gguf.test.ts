import { describe, expect, it } from 'vitest';
import { tinyLlamaGguf, tinyVocabulary, writeGguf } from './gguf.js';

/** A minimal GGUF reader, independent of the writer, for the value types the writer produces. */
function readGguf(buf: Buffer) {
  let pos = 0;
  const u32 = () => ((pos += 4), buf.readUInt32LE(pos - 4));
  const u64 = () => ((pos += 8), Number(buf.readBigUInt64LE(pos - 8)));
  const str = () => {
    const len = u64();
    pos += len;
    return buf.toString('utf8', pos - len, pos);
  };
  const scalar = (type: number): unknown => {
    switch (type) {
      case 4:
        return u32();
      case 5:
        return ((pos += 4), buf.readInt32LE(pos - 4));
      case 6:
        return ((pos += 4), buf.readFloatLE(pos - 4));
      case 7:
        return buf[pos++] === 1;
      case 8:
        return str();
      case 9: {
        const itemType = u32();
        return Array.from({ length: u64() }, () => scalar(itemType));
      }
      default:
        throw new Error(`unexpected value type ${type}`);
    }
  };

  const magic = buf.toString('ascii', 0, 4);
  pos = 4;
  const version = u32();
  const tensorCount = u64();
  const kvCount = u64();
  const kv: Record<string, unknown> = {};
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    kv[key] = scalar(u32());
  }
  const tensors = Array.from({ length: tensorCount }, () => {
    const name = str();
    const dims = Array.from({ length: u32() }, u64);
    return { name, dims, type: u32(), offset: u64() };
  });
  const alignment = (kv['general.alignment'] as number | undefined) ?? 32;
  const infoEnd = pos;
  const dataStart = Math.ceil(pos / alignment) * alignment;
  return { magic, version, kv, tensors, alignment, infoEnd, dataStart };
}

describe('GGUF writer', () => {
  it('writes the header, typed metadata and tensor infos that a reader gets back', () => {
    const buf = writeGguf(
      {
        'test.u32': { type: 'uint32', value: 7 },
        'test.i32': { type: 'int32', value: -3 },
        'test.f32': { type: 'float32', value: 0.5 },
        'test.bool': { type: 'bool', value: true },
        'test.string': { type: 'string', value: 'héllo' },
        'test.strings': { type: 'string[]', value: ['a', '▁', ''] },
        'test.floats': { type: 'float32[]', value: [1.5, -2] },
        'test.ints': { type: 'int32[]', value: [1, -1] },
      },
      [{ name: 'w', dims: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    );
    const f = readGguf(buf);
    expect(f.magic).toBe('GGUF');
    expect(f.version).toBe(3);
    expect(f.kv).toEqual({
      'test.u32': 7,
      'test.i32': -3,
      'test.f32': 0.5,
      'test.bool': true,
      'test.string': 'héllo',
      'test.strings': ['a', '▁', ''],
      'test.floats': [1.5, -2],
      'test.ints': [1, -1],
    });
    expect(f.tensors).toEqual([{ name: 'w', dims: [3, 2], type: 0, offset: 0 }]);
    expect(f.alignment).toBe(32);
    expect(buf.length).toBe(f.dataStart + 6 * 4);
    expect(buf.readFloatLE(f.dataStart + 5 * 4)).toBe(6);
    // Padding before the data is zeros.
    expect(buf.subarray(f.infoEnd, f.dataStart).every((b) => b === 0)).toBe(true);
  });

  it('aligns every tensor to general.alignment', () => {
    const odd = (n: number) => ({ name: `t${n}`, dims: [n], data: new Float32Array(n).fill(n) });
    const buf = writeGguf({ 'general.alignment': { type: 'uint32', value: 64 } }, [odd(3), odd(5), odd(1)]);
    const f = readGguf(buf);
    expect(f.alignment).toBe(64);
    expect(f.dataStart % 64).toBe(0);
    expect(f.tensors.map((t) => t.offset)).toEqual([0, 64, 128]);
    for (const t of f.tensors) {
      expect(buf.readFloatLE(f.dataStart + t.offset)).toBe(t.dims[0]);
    }
    expect(buf.length).toBe(f.dataStart + 128 + 4);
  });

  it('rejects tensors whose data does not match their dims, and bad alignments', () => {
    expect(() => writeGguf({}, [{ name: 'x', dims: [2, 2], data: new Float32Array(3) }])).toThrow(/dims/);
    expect(() => writeGguf({ 'general.alignment': { type: 'uint32', value: 12 } }, [])).toThrow(/alignment/);
  });

  it('builds a tiny llama model: llama metadata, a byte-level vocabulary, tensors in ggml order', () => {
    const buf = tinyLlamaGguf();
    expect(buf.length).toBeGreaterThan(100_000);
    expect(buf.length).toBeLessThan(1_000_000);
    const f = readGguf(buf);
    const { tokens } = tinyVocabulary();
    expect(f.kv['general.architecture']).toBe('llama');
    expect(f.kv['tokenizer.ggml.model']).toBe('llama');
    expect(f.kv['tokenizer.ggml.tokens']).toEqual(tokens);
    expect(tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(tokens).toContain('<0xFF>');
    expect((f.kv['tokenizer.ggml.token_type'] as number[]).length).toBe(tokens.length);
    expect((f.kv['tokenizer.ggml.scores'] as number[]).length).toBe(tokens.length);
    const byName = new Map(f.tensors.map((t) => [t.name, t]));
    expect(byName.get('token_embd.weight')?.dims).toEqual([64, tokens.length]);
    expect(byName.get('output.weight')?.dims).toEqual([64, tokens.length]);
    expect(byName.get('blk.1.ffn_down.weight')?.dims).toEqual([128, 64]);
    expect(byName.get('blk.1.ffn_up.weight')?.dims).toEqual([64, 128]);
    expect(f.tensors).toHaveLength(2 + 2 * 9 + 1);
    expect(f.tensors.every((t) => t.offset % f.alignment === 0 && t.type === 0)).toBe(true);
  });

  it('is deterministic for a seed', () => {
    expect(tinyLlamaGguf({ seed: 5 }).equals(tinyLlamaGguf({ seed: 5 }))).toBe(true);
    expect(tinyLlamaGguf({ seed: 5 }).equals(tinyLlamaGguf({ seed: 6 }))).toBe(false);
  });
});
