import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../errors/index.js';
import type { RpcNotification, RpcRequest, RpcResponse } from '../jsonrpc.js';
import { CallCancelled, Cancellation, Forwarder, type Channel, type RelatedSink } from './forwarder.js';

/** A channel that records what the forwarder sends. */
function recorder() {
  const sent: (RpcRequest | RpcNotification | RpcResponse)[] = [];
  const channel: Channel = {
    sendRequest: async (req) => void sent.push(req),
    send: async (msg) => void sent.push(msg),
  };
  return { sent, channel };
}

const noSink = (progress: unknown[] = []): RelatedSink => ({
  progress: (p) => void progress.push(p),
  notification: () => {},
  request: async () => ({ result: {} }),
});

describe('Forwarder', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses its own ids and answers with the upstream result unchanged', async () => {
    const { sent, channel } = recorder();
    const f = new Forwarder('up', channel);
    const a = f.call('tools/call', { name: 'x' }, { timeoutMs: 1000 });
    const b = f.call('tools/call', { name: 'y' }, { timeoutMs: 1000 });
    const [ra, rb] = sent as RpcRequest[];
    expect(ra!.id).not.toBe(rb!.id);
    expect(ra).toEqual({ jsonrpc: '2.0', id: ra!.id, method: 'tools/call', params: { name: 'x' } });
    f.deliver({ jsonrpc: '2.0', id: rb!.id, result: { content: [], extra: 1 } });
    f.deliver({ jsonrpc: '2.0', id: ra!.id, error: { code: -32602, message: 'bad', data: { x: 1 } } });
    expect(await b).toEqual({ result: { content: [], extra: 1 } });
    expect(await a).toEqual({ error: { code: -32602, message: 'bad', data: { x: 1 } } });
    expect(f.inFlight).toBe(0);
  });

  it('replaces the caller’s progress token and restores it on progress', async () => {
    const { sent, channel } = recorder();
    const f = new Forwarder('up', channel);
    const progress: unknown[] = [];
    const call = f.call(
      'tools/call',
      { name: 'x', _meta: { progressToken: 'caller-token', other: 1 } },
      {
        timeoutMs: 1000,
        related: noSink(progress),
      },
    );
    const req = sent[0] as RpcRequest;
    expect(req.params!._meta).toEqual({ progressToken: req.id, other: 1 });
    f.deliver({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: req.id, progress: 1 },
    });
    f.deliver({ jsonrpc: '2.0', id: req.id, result: {} });
    await call;
    expect(progress).toEqual([{ progressToken: 'caller-token', progress: 1 }]);
    // Progress after the answer is dropped, not handed to anyone else.
    expect(
      f.deliver({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: req.id } }),
    ).toBe(true);
  });

  it('times out naming the upstream, cancels upstream, and restarts the clock on progress', async () => {
    vi.useFakeTimers();
    const { sent, channel } = recorder();
    const f = new Forwarder('slowpoke', channel);
    const call = f.call('tools/call', { _meta: { progressToken: 1 } }, { timeoutMs: 80, related: noSink() });
    let settled = false;
    call.then(
      () => (settled = true),
      () => (settled = true),
    );
    const id = (sent[0] as RpcRequest).id;
    // Three progress notifications 50 ms apart: 150 ms in all, past the 80 ms timeout.
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(50);
      f.deliver({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: id, progress: i },
      });
    }
    await vi.advanceTimersByTimeAsync(79);
    expect(settled).toBe(false); // each progress restarted the clock
    await vi.advanceTimersByTimeAsync(1);
    await expect(call).rejects.toThrow(/Upstream "slowpoke" did not answer tools\/call within 80 ms/);
    expect(sent.at(-1)).toMatchObject({ method: 'notifications/cancelled', params: { requestId: id } });
  });

  it('relays a caller’s cancellation upstream and never answers', async () => {
    const { sent, channel } = recorder();
    const f = new Forwarder('up', channel);
    const cancellation = new Cancellation();
    const call = f.call('tools/call', {}, { timeoutMs: 1000, cancellation });
    cancellation.cancel('user pressed stop');
    await expect(call).rejects.toBeInstanceOf(CallCancelled);
    expect(sent[1]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: (sent[0] as RpcRequest).id, reason: 'user pressed stop' },
    });
  });

  it('fails everything pending when the connection closes, and refuses new calls', async () => {
    const { channel } = recorder();
    const f = new Forwarder('gone', channel);
    const call = f.call('tools/call', {}, { timeoutMs: 1000 });
    f.close('the process exited');
    await expect(call).rejects.toBeInstanceOf(GatewayError);
    await expect(f.call('ping', undefined, { timeoutMs: 1000 })).rejects.toThrow(
      /Upstream "gone" is unavailable/,
    );
  });

  it('leaves responses to other ids to the SDK client on the same channel', () => {
    const f = new Forwarder('up', recorder().channel);
    expect(f.deliver({ jsonrpc: '2.0', id: 7, result: {} })).toBe(false);
  });
});
