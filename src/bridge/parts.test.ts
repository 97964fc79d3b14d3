import { describe, expect, it } from 'vitest';
import type { Part } from '@a2a-js/sdk';
import { mcpToParts, partsToMcp } from './parts.js';

const part = (content: Part['content'], mediaType = '', filename = ''): Part => ({
  content,
  mediaType,
  filename,
  metadata: undefined,
});

describe('A2A parts → MCP content', () => {
  it('maps text, url, raw by media type, and data to structured content', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const out = partsToMcp([
      part({ $case: 'text', value: 'hello' }),
      part({ $case: 'url', value: 'https://example.com/docs/report.pdf' }, 'application/pdf'),
      part({ $case: 'raw', value: png }, 'image/png'),
      part({ $case: 'raw', value: Buffer.from('RIFF') }, 'audio/wav'),
      part({ $case: 'raw', value: Buffer.from('a,b\n1,2') }, 'text/csv', 'data.csv'),
      part({ $case: 'raw', value: Buffer.from([0, 1, 2]) }, 'application/zip', 'x.zip'),
      part({ $case: 'data', value: { sum: 5 } }),
    ]);
    expect(out.content).toEqual([
      { type: 'text', text: 'hello' },
      {
        type: 'resource_link',
        uri: 'https://example.com/docs/report.pdf',
        name: 'report.pdf',
        mimeType: 'application/pdf',
      },
      { type: 'image', data: png.toString('base64'), mimeType: 'image/png' },
      { type: 'audio', data: Buffer.from('RIFF').toString('base64'), mimeType: 'audio/wav' },
      { type: 'resource', resource: { uri: 'a2a:///data.csv', mimeType: 'text/csv', text: 'a,b\n1,2' } },
      { type: 'resource', resource: { uri: 'a2a:///x.zip', mimeType: 'application/zip', blob: 'AAEC' } },
      { type: 'text', text: '{"sum":5}' },
    ]);
    expect(out.structured).toEqual({ sum: 5 });
  });

  it('keeps several data parts (or a non-object) as { data: [...] }', () => {
    expect(partsToMcp([part({ $case: 'data', value: [1, 2] })]).structured).toEqual({ data: [[1, 2]] });
    expect(
      partsToMcp([part({ $case: 'data', value: { a: 1 } }), part({ $case: 'data', value: { b: 2 } })])
        .structured,
    ).toEqual({ data: [{ a: 1 }, { b: 2 }] });
    expect(partsToMcp([part({ $case: 'text', value: 'x' })]).structured).toBeUndefined();
  });
});

describe('MCP content → A2A parts', () => {
  it('maps every MCP content type and structured content', () => {
    const parts = mcpToParts(
      [
        { type: 'text', text: 'hi' },
        { type: 'image', data: 'AAEC', mimeType: 'image/png' },
        { type: 'audio', data: 'AAEC', mimeType: 'audio/wav' },
        { type: 'resource', resource: { uri: 'file:///tmp/a.txt', mimeType: 'text/plain', text: 'body' } },
        { type: 'resource', resource: { uri: 'file:///tmp/b.bin', blob: 'AAEC' } },
        { type: 'resource_link', uri: 'https://example.com/x', name: 'x', mimeType: 'text/html' },
        { type: 'unknown-future-type' },
      ],
      { ok: true },
    );
    expect(parts.map((p) => [p.content?.$case, p.mediaType, p.filename])).toEqual([
      ['text', 'text/plain', ''],
      ['raw', 'image/png', ''],
      ['raw', 'audio/wav', ''],
      ['text', 'text/plain', 'a.txt'],
      ['raw', 'application/octet-stream', 'b.bin'],
      ['url', 'text/html', 'x'],
      ['data', 'application/json', ''],
    ]);
    expect(parts[1]!.content).toEqual({ $case: 'raw', value: Buffer.from([0, 1, 2]) });
    expect(parts[6]!.content).toEqual({ $case: 'data', value: { ok: true } });
  });

  it('round-trips text, binary and data through both directions', () => {
    const back = partsToMcp(
      mcpToParts(
        [
          { type: 'text', text: 't' },
          { type: 'image', data: 'AAEC', mimeType: 'image/gif' },
        ],
        { n: 1 },
      ),
    );
    expect(back).toEqual({
      content: [
        { type: 'text', text: 't' },
        { type: 'image', data: 'AAEC', mimeType: 'image/gif' },
        { type: 'text', text: '{"n":1}' },
      ],
      structured: { n: 1 },
    });
  });
});
