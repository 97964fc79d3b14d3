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
  const check = (params: SendMessageRequest) => {
    const { maxParts, maxPartBytes } = limits();
    const parts = params.message?.parts ?? [];
    if (parts.length > maxParts)
      throw new RequestMalformedError(
        `message has ${parts.length} parts; at most ${maxParts} are accepted (a2a.maxParts)`,
      );
    parts.forEach((p, i) => {
      const size = partSize(p);
      if (size > maxPartBytes)
        throw new RequestMalformedError(
          `part ${i} is ${size} bytes; at most ${maxPartBytes} are accepted (a2a.maxPartBytes)`,
        );
    });
  };
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

/** A part's size in bytes: its text, its raw bytes, or its data as JSON. */
function partSize(p: Part): number {
  const c = p.content;
  if (!c) return 0;
  if (c.$case === 'raw') return c.value.length;
  if (c.$case === 'data') return Buffer.byteLength(JSON.stringify(c.value ?? null));
  return Buffer.byteLength(c.value);
}
