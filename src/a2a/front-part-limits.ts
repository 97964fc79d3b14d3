/**
 * `a2a.maxParts` and `a2a.maxPartBytes`: a message with too many or too large parts is refused
 * (-32602, or the REST 400) before it reaches any agent.
 */
import type { Part, SendMessageRequest } from '@a2a-js/sdk';
import type { A2ARequestHandler, ServerCallContext } from '@a2a-js/sdk/server';
import { RequestMalformedError } from '@a2a-js/sdk/errors';
import { overriding } from './override.js';

export interface PartLimits {
  maxParts: number;
  maxPartBytes: number;
}

/** The handler, with both ways of sending a message checked against the limits in force. */
export function limitParts(handler: A2ARequestHandler, limits: () => PartLimits): A2ARequestHandler {
  const check = (params: SendMessageRequest) => checkParts(params.message?.parts ?? [], partSize, limits());
  return overriding(handler, {
    sendMessage: (params: SendMessageRequest, ctx: ServerCallContext) => {
      check(params);
      return handler.sendMessage(params, ctx);
    },
    sendMessageStream: (params: SendMessageRequest, ctx: ServerCallContext) => {
      check(params);
      return handler.sendMessageStream(params, ctx);
    },
  });
}

/** Refuse a message with more parts than `maxParts`, or a part over `maxPartBytes`. */
export function checkParts<P>(parts: readonly P[], size: (p: P) => number, limits: PartLimits): void {
  const { maxParts, maxPartBytes } = limits;
  if (parts.length > maxParts)
    throw new RequestMalformedError(
      `message has ${parts.length} parts; at most ${maxParts} are accepted (a2a.maxParts)`,
    );
  parts.forEach((p, i) => {
    const bytes = size(p);
    if (bytes > maxPartBytes)
      throw new RequestMalformedError(
        `part ${i} is ${bytes} bytes; at most ${maxPartBytes} are accepted (a2a.maxPartBytes)`,
      );
  });
}

/**
 * A part's size as it came on the wire (A2A 1.0 JSON), counted as `partSize` counts it once
 * decoded: its text, its raw bytes (base64 decoded), its URL, or its data as JSON.
 */
export function jsonPartSize(p: unknown): number {
  if (!p || typeof p !== 'object') return 0;
  const part = p as { text?: unknown; raw?: unknown; url?: unknown; data?: unknown };
  if (typeof part.text === 'string') return Buffer.byteLength(part.text);
  if (typeof part.raw === 'string') return Buffer.byteLength(part.raw, 'base64');
  if (typeof part.url === 'string') return Buffer.byteLength(part.url);
  if ('data' in part) return Buffer.byteLength(JSON.stringify(part.data ?? null));
  return 0;
}

/** A part's size in bytes: its text, its raw bytes, or its data as JSON. */
function partSize(p: Part): number {
  const c = p.content;
  if (!c) return 0;
  if (c.$case === 'raw') return c.value.length;
  if (c.$case === 'data') return Buffer.byteLength(JSON.stringify(c.value ?? null));
  return Buffer.byteLength(c.value);
}
