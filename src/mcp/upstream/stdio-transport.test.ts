import { describe, expect, it } from 'vitest';
import { sniff } from './stdio-transport.js';

describe('sniff: what the edges of a skipped line say', () => {
  it('finds the id where serializers put it, first or last', () => {
    // The TypeScript SDK puts it last, the Python SDK first.
    expect(
      sniff('{"result":{"content":[{"type":"text","text":"zzzz', 'zzzz"}]},"jsonrpc":"2.0","id":"swy-7"}'),
    ).toEqual({
      id: 'swy-7',
      method: false,
    });
    expect(sniff('{"jsonrpc":"2.0","id":12,"result":{"x":"zzz', 'zzz"}}\r')).toEqual({
      id: 12,
      method: false,
    });
  });

  it('tells a request or notification by its method, and does not take a nested id for the message’s', () => {
    expect(sniff('{"method":"notifications/message","params":{"data":"zz', 'zz"},"jsonrpc":"2.0"}')).toEqual({
      method: true,
    });
    expect(sniff('{"result":{"items":[{"a":"zz', 'zz","id":"swy-1"}]}}')).toEqual({ method: false });
  });
});
