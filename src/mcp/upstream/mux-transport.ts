/**
 * Shares one upstream transport between the SDK Client (which owns the protocol edges:
 * initialize, ping) and the gateway's forwarder (which relays traffic for every session).
 *
 * What the inner transport reports is offered to the sink first; what it does not take —
 * responses to the Client's own requests, and `ping` — reaches the Client unchanged. The sink is
 * told of the close after the Client, so the Client's own requests have failed by then.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface MuxSink {
  /** An incoming message; false leaves it to the Client. */
  message(message: JSONRPCMessage): boolean;
  /** A transport error; false leaves it to the Client. */
  error(error: Error): boolean;
  /** The transport closed. */
  closed(): void;
}

export class MuxTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(
    readonly inner: Transport,
    private readonly sink: MuxSink,
  ) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    // The SDK's Transport contract: whoever starts a transport sets its listeners.
    this.inner.onmessage = (m: JSONRPCMessage) => {
      if (!this.sink.message(m)) this.onmessage?.(m);
    };
    this.inner.onclose = () => {
      this.onclose?.();
      this.sink.closed();
    };
    this.inner.onerror = (e: Error) => {
      if (!this.sink.error(e)) this.onerror?.(e);
    };
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
