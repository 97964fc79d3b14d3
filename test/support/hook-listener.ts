/**
 * A loopback HTTP listener that counts what reaches it (204 to everything): the webhook or the
 * internal service a test must prove was, or was never, called.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookListener {
  port: number;
  /** Requests received since start (or the last reset). */
  readonly requests: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startHookListener(): Promise<HookListener> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    get requests() {
      return requests;
    },
    reset: () => (requests = 0),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
