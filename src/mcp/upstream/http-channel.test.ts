import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayError } from '../../errors/index.js';
import type { RpcMessage, RpcRequest } from '../jsonrpc.js';
import type { PendingCall } from './forwarder.js';
import { HttpChannel, type HttpChannelSink } from './http-channel.js';

/** An upstream that answers each POST as `respond` says. */
async function upstream(respond: (req: RpcRequest, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => respond(JSON.parse(body) as RpcRequest, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** A call that takes what a forwarder would (its answer, its progress) and records the rest. */
function fakeCall(id: string) {
  const delivered: RpcMessage[] = [];
  let settle!: (how: 'answered' | GatewayError) => void;
  const ended = new Promise<'answered' | GatewayError>((r) => (settle = r));
  let done = false;
  const call: PendingCall = {
    id,
    method: 'tools/call',
    upstream: 'up',
    deliver: (msg) => {
      const ours =
        ('id' in msg && msg.id === id) || ('method' in msg && msg.method === 'notifications/progress');
      if (!ours) return false;
      delivered.push(msg);
      if ('result' in msg) {
        done = true;
        settle('answered');
      }
      return true;
    },
    done: () => done,
    fail: (err) => {
      done = true;
      settle(err);
    },
    onAbort: () => {},
  };
  return { call, delivered, ended };
}

function fakeSink() {
  const seen = { unrelated: [] as RpcMessage[], sessionLost: 0, transportErrors: [] as string[] };
  const sink: HttpChannelSink = {
    unrelated: (msg) => void seen.unrelated.push(msg),
    sessionLost: () => void seen.sessionLost++,
    transportError: (err) => void seen.transportErrors.push(err.message),
  };
  return { sink, seen };
}

function channelTo(server: Server, sink: HttpChannelSink): HttpChannel {
  const { port } = server.address() as AddressInfo;
  return new HttpChannel(
    {
      upstream: 'up',
      url: new URL(`http://127.0.0.1:${port}/mcp`),
      headers: () => ({}),
      session: () => ({ sessionId: 's-1', protocolVersion: '2025-11-25' }),
    },
    sink,
  );
}

describe('HttpChannel', () => {
  const open: { server: Server; channel: HttpChannel }[] = [];
  afterEach(async () => {
    for (const { server, channel } of open.splice(0)) {
      await channel.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('hands what a call’s stream carries to the call, and what is not about it to its sink', async () => {
    const server = await upstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = (m: object) => res.write(`data: ${JSON.stringify(m)}\n\n`);
      event({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: req.id } });
      event({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
      event({ jsonrpc: '2.0', id: req.id, result: { content: [] } });
      res.end();
    });
    const { sink, seen } = fakeSink();
    const channel = channelTo(server, sink);
    open.push({ server, channel });
    const { call, delivered, ended } = fakeCall('swy-1');
    await channel.sendRequest({ jsonrpc: '2.0', id: 'swy-1', method: 'tools/call' }, call);
    expect(await ended).toBe('answered');
    expect(delivered.map((m) => ('method' in m ? m.method : 'answer'))).toEqual([
      'notifications/progress',
      'answer',
    ]);
    expect(seen.unrelated).toEqual([{ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }]);
    expect(seen.sessionLost).toBe(0);
  });

  it('tells its sink when the upstream forgot the session, and fails the call', async () => {
    const server = await upstream((_req, res) => {
      res.writeHead(404).end();
    });
    const { sink, seen } = fakeSink();
    const channel = channelTo(server, sink);
    open.push({ server, channel });
    const { call, ended } = fakeCall('swy-2');
    await channel.sendRequest({ jsonrpc: '2.0', id: 'swy-2', method: 'tools/call' }, call);
    const outcome = await ended;
    expect(outcome).not.toBe('answered');
    expect((outcome as GatewayError).code).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(seen.sessionLost).toBe(1);
  });

  it('takes a JSON answer to the call without bothering its sink', async () => {
    const server = await upstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { ok: true } }));
    });
    const { sink, seen } = fakeSink();
    const channel = channelTo(server, sink);
    open.push({ server, channel });
    const { call, delivered, ended } = fakeCall('swy-3');
    await channel.sendRequest({ jsonrpc: '2.0', id: 'swy-3', method: 'tools/call' }, call);
    expect(await ended).toBe('answered');
    expect(delivered).toEqual([{ jsonrpc: '2.0', id: 'swy-3', result: { ok: true } }]);
    expect(seen).toEqual({ unrelated: [], sessionLost: 0, transportErrors: [] });
  });
});
