/**
 * A call on the data path (pipeline.ts `run`), whoever made it: a client's request (MCP over HTTP
 * or stdio) or a tool call made on someone's behalf (an A2A client of a served MCP server, a
 * declared agent's model). What differs between them is only how the caller is reached while the
 * call runs; the steps are the same.
 */
import type { Span } from '@opentelemetry/api';
import type { Caller } from '../mcp/federation/in-flight.js';
import type { TaskDirectory } from '../mcp/federation/tasks.js';
import type { RpcNotification, RpcRequest } from '../mcp/jsonrpc.js';
import type { Reply, Session } from '../mcp/session.js';
import type { Cancellation, RelatedSink } from '../mcp/upstream/forwarder.js';
import type { Principal } from '../policy/principal.js';
import type { RequestRecord } from './request-record.js';

/** How the one who made a call is reached while it runs. */
interface CallerLink {
  /** Who waits on the call: a shared-channel upstream's messages during it go to them (in-flight.ts). */
  readonly waiting: Caller;
  /** Where those messages are written (the call's own response stream, for a client). */
  readonly via: Pick<Reply, 'related'>;
  /** What the upstream ties to the call (progress, its notifications, its requests). */
  related(upstream: string): RelatedSink;
}

export interface Call extends CallerLink {
  /** Filled at each step; becomes the metric labels, the span and the ledger entry. */
  readonly record: RequestRecord;
  readonly principal: Principal;
  readonly msg: RpcRequest;
  readonly cancellation: Cancellation;
  /** The client's session (absent for calls made on someone's behalf): local answers and task ownership need it. */
  readonly session?: Session;
  /** How many agents deep the call is (0: straight from a client). */
  readonly depth: number;
}

/** What an entry point knows of a call as it enters. */
export interface CallEntry extends CallerLink {
  transport: RequestRecord['transport'];
  /** The session id, or the A2A/agent context the call belongs to. */
  context: string | undefined;
  msg: RpcRequest;
  principal: Principal;
  session?: Session;
  agent?: string;
  depth?: number;
  cancellation?: Cancellation;
  /** The span of the run or request that asked (calls on someone's behalf). */
  parentSpan?: Span;
}

/** Messages an upstream ties to a client's call go to that client, on the call's own reply. */
export function relatedSink(
  session: Session,
  reply: Reply,
  upstream: string,
  tasks: TaskDirectory,
): RelatedSink {
  return {
    progress: (params) => reply.related({ jsonrpc: '2.0', method: 'notifications/progress', params }),
    notification: (n) => {
      if (n.method === 'notifications/message') {
        if (session.wantsLog(n.params?.level)) reply.related(withLogger(n, upstream));
      } else reply.related(n.params ? { ...n, params: tasks.toClient(upstream, n.params) } : n);
    },
    request: (req, signal) =>
      session.request(
        { method: req.method, params: req.params && tasks.toClient(upstream, req.params) },
        signal,
        reply,
      ),
    supports: (method) => session.supports(method),
  };
}

/** Log messages carry the upstream's name in `logger` (`<upstream>` or `<upstream>/<its logger>`). */
export function withLogger(n: RpcNotification, upstream: string): RpcNotification {
  const logger = n.params?.logger;
  return {
    ...n,
    params: {
      ...n.params,
      logger: typeof logger === 'string' && logger ? `${upstream}/${logger}` : upstream,
    },
  };
}
