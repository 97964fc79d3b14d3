import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { MuxTransport, type MuxSink } from './mux-transport.js';
import { OversizedLine } from './stdio-transport.js';

/** A transport whose incoming side the test drives. */
function fakeInner(): Transport {
  return { start: async () => {}, send: async () => {}, close: async () => {} };
}

describe('MuxTransport', () => {
  it('offers what arrives to its sink first; the Client gets what the sink leaves', async () => {
    const inner = fakeInner();
    const order: string[] = [];
    const sink: MuxSink = {
      message: (m) => 'method' in m && m.method !== 'ping' && (order.push(`sink:${m.method}`), true),
      error: (e) => e instanceof OversizedLine && (order.push('sink:oversized'), true),
      closed: () => void order.push('sink:closed'),
    };
    const mux = new MuxTransport(inner, sink);
    // What the SDK Client sets before it starts a transport.
    mux.onmessage = (m: JSONRPCMessage) => void order.push(`client:${'method' in m ? m.method : 'answer'}`);
    mux.onerror = (e) => void order.push(`client:error ${e.message}`);
    mux.onclose = () => void order.push('client:closed');
    await mux.start();

    inner.onmessage!({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    inner.onmessage!({ jsonrpc: '2.0', id: 1, method: 'ping' });
    inner.onmessage!({ jsonrpc: '2.0', id: 1, result: {} });
    inner.onerror!(new OversizedLine(10, 'swy-1', false));
    inner.onerror!(new Error('EPIPE'));
    inner.onclose!();
    expect(order).toEqual([
      'sink:notifications/tools/list_changed',
      'client:ping',
      'client:answer',
      'sink:oversized',
      'client:error EPIPE',
      'client:closed',
      'sink:closed',
    ]);
  });
});
