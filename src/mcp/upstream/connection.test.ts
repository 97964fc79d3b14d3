import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UpstreamSchema } from '../../config/schema.js';
import { UpstreamCredentials } from '../../policy/upstream-credentials.js';
import { silentLogger } from '../../telemetry/logger.js';
import { startTokenServer, type TokenServer } from '../../../test/support/token-server.js';
import { openConnection, type ConnectionSink } from './connection.js';
import { HttpChannel } from './http-channel.js';

const sink: ConnectionSink = {
  notify: () => {},
  request: () => Promise.resolve(undefined),
  lost: () => {},
  suspect: () => {},
};

describe('openConnection: a failed handshake', () => {
  let upstream: Server;
  let url = '';
  let tokens: TokenServer;

  beforeAll(async () => {
    // An MCP endpoint that answers every request with a server error: the handshake fails.
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end('down'));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
    tokens = await startTokenServer({ clientId: 'gw', clientSecret: 's3cret', expiresIn: 3600 });
  });

  afterAll(async () => {
    await tokens.stop();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it('stops the token refresher and closes the HTTP pool it opened', async () => {
    const stop = vi.spyOn(UpstreamCredentials.prototype, 'stop');
    const close = vi.spyOn(HttpChannel.prototype, 'close');
    const spec = UpstreamSchema.parse({
      name: 'down',
      mcp: {
        url,
        oauth: { grant: 'client_credentials', tokenUrl: tokens.url, clientId: 'gw', clientSecret: 's3cret' },
      },
      startTimeoutMs: 5000,
    });
    await expect(openConnection(spec, silentLogger(), sink, new AbortController().signal)).rejects.toThrow();
    expect(tokens.requests.length).toBe(1); // the attempt did get its credentials
    expect(stop).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledTimes(1);
    stop.mockRestore();
    close.mockRestore();
  });
});
