/**
 * How a proxied agent's failure reaches the client, on both paths to it (proxy.ts, relay.ts). The
 * agent's own A2A errors (TaskNotFound …) pass on as they came; anything else — it is unreachable,
 * answered with an HTTP error, sent something that is not A2A or too much of it, or did not answer
 * in time — is InvalidAgentResponse naming the agent, without what it sent (that goes to the log).
 */
import { InvalidAgentResponseError } from '@a2a-js/sdk/errors';
import { GatewayError } from '../errors/index.js';
import type { Logger } from '../telemetry/logger.js';

/** An agent that answered with an HTTP error status and no A2A error. */
export class HttpStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** undici's codes for an answer that did not come in time (AbortSignal.timeout's is a name). */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function agentFailure(
  log: Logger,
  agent: { name: string; timeoutMs: number },
  op: string,
  err: unknown,
): InvalidAgentResponseError {
  const message = err instanceof Error ? err.message : String(err);
  log.warn({ upstream: agent.name, op, problem: message }, 'A2A upstream failed');
  return new InvalidAgentResponseError(`${op} on agent "${agent.name}" failed: ${detail(err, agent)}`);
}

function detail(err: unknown, agent: { timeoutMs: number }): string {
  if (err instanceof GatewayError) return err.message;
  const e = err as { name?: string; code?: string; message?: string } | undefined;
  if (e?.name === 'TimeoutError' || TIMEOUT_CODES.has(e?.code ?? ''))
    return `it did not answer within ${agent.timeoutMs} ms (timeoutMs)`;
  // The SDK client's transports name the status only in their messages.
  const said = /Status: (\d{3})|stream for \w+: (\d{3})/.exec(e?.message ?? '');
  const status = err instanceof HttpStatus ? err.status : (said?.[1] ?? said?.[2]);
  if (status) return `it answered HTTP ${status}`;
  return 'it could not be reached or sent something that is not A2A';
}
