/**
 * Shares one upstream transport between the SDK Client (which owns the protocol edges:
 * initialize, ping) and the gateway's forwarder (which relays traffic for every session).
 *
 * Incoming messages are offered to `intercept` first; what it does not take — responses to the
 * Client's own requests, and `ping` — reaches the Client unchanged.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export class MuxTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(
    readonly inner: Transport,
    private readonly intercept: (message: JSONRPCMessage) => boolean,
  ) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    this.inner.onmessage = (m: JSONRPCMessage) => {
      if (!this.intercept(m)) this.onmessage?.(m);
    };
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (e: Error) => this.onerror?.(e);
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
