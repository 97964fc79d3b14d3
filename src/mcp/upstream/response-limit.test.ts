import { describe, expect, it } from 'vitest';
import { limitedResponse, ResponseMeter } from './response-limit.js';

const bytes = (s: string) => Buffer.from(s);

describe('ResponseMeter', () => {
  it('counts a whole body against the limit', () => {
    const m = ResponseMeter.for(10, 'application/json');
    expect(m.add(bytes('12345'))).toBe(true);
    expect(m.add(bytes('67890'))).toBe(true);
    expect(m.add(bytes('!'))).toBe(false);
  });

  it('counts each SSE event on its own, whatever the line ends, also across chunks', () => {
    const m = ResponseMeter.for(16, 'text/event-stream; charset=utf-8');
    for (const sep of ['\n\n', '\r\n\r\n', '\r\r', '\n\r\n']) {
      // Many events, far more than the limit in all: each is small.
      for (let i = 0; i < 10; i++) expect(m.add(bytes(`data: ${i}${sep}`))).toBe(true);
    }
    // A boundary split over two chunks still ends the event.
    expect(m.add(bytes('data: 123456\n'))).toBe(true);
    expect(m.add(bytes('\ndata: 7'))).toBe(true);
    // One event that keeps going is stopped, however it arrives.
    const endless = ResponseMeter.for(16, 'text/event-stream');
    expect(endless.add(bytes('data: 1234'))).toBe(true);
    expect(endless.add(bytes('5\r\n'))).toBe(true); // CR LF alone ends a line, not the event
    expect(endless.add(bytes('data: 6'))).toBe(false);
  });

  it('counts each event a chunk holds whole, not only the one it ends with', () => {
    const big = `data: ${'x'.repeat(64)}\n\n`;
    expect(ResponseMeter.for(16, 'text/event-stream').add(bytes(`data: 1\n\n${big}data: 2\n\n`))).toBe(false);
    expect(ResponseMeter.for(16, 'text/event-stream').add(bytes(`${big}data: 2`))).toBe(false);
    // An event begun in one chunk and ended in the next counts both parts.
    const split = ResponseMeter.for(16, 'text/event-stream');
    expect(split.add(bytes('data: 12345'))).toBe(true);
    expect(split.add(bytes('67890\n\ndata: 1\n\n'))).toBe(false);
  });

  it('a limited response fails its reader with the given error and stops reading the source', async () => {
    let pulled = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(bytes('x'.repeat(1000)));
      },
    });
    const res = limitedResponse(
      new Response(source, { headers: { 'content-type': 'application/json' } }),
      4096,
      () => new Error('too large'),
    );
    await expect(res.text()).rejects.toThrow('too large');
    expect(pulled).toBeLessThan(10);
  });
});
