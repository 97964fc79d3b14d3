/**
 * The stdio front: `switchyard stdio` lets a desktop client launch the gateway as its one MCP
 * server. Framing is the SDK's StdioServerTransport; each message goes through the same pipeline
 * as HTTP. One process, one client, one session. Logs go to stderr; stdout is the protocol.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayCore } from '../../gateway/core.js';
import { GatewayError, toJsonRpcError } from '../../errors/index.js';
import { exceedsDepth } from '../../policy/validation.js';
import { classify, errorResponse, type RpcMessage } from '../jsonrpc.js';
import type { Reply, Session } from '../session.js';

export interface StdioFront {
  /** Resolves when the client closes stdin. */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function serveStdio(
  core: GatewayCore,
  stdin: NodeJS.ReadableStream = process.stdin,
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<StdioFront> {
  const transport = new StdioServerTransport(stdin as never, stdout as never);
  let session: Session | undefined;
  // One local client: it runs as the configured stdio principal.
  const principal = core.auth.local();
  const send = (msg: RpcMessage) => {
    transport
      .send(msg as JSONRPCMessage)
      .catch((err: unknown) => core.log.debug({ err }, 'stdout write failed'));
  };
  const reply: Reply = {
    related: send,
    respond: send,
    cancelled: () => {},
  };

  transport.onerror = (err) => {
    // A line that is not JSON, or not a JSON-RPC message: answer like HTTP would, keep reading.
    const parseError = err instanceof SyntaxError;
    const e = new GatewayError(parseError ? 'SWY_PARSE_ERROR' : 'SWY_INVALID_REQUEST', {
      detail: err.message.split('\n')[0]?.slice(0, 200),
    });
    send(errorResponse(null, toJsonRpcError(e)));
  };

  // A failure that escapes the pipeline is a bug: logged, and the front keeps reading.
  const internal = (err: unknown) => core.log.error({ err }, 'internal error in the stdio front');

  // Messages that arrive while initialize is still being answered wait for it.
  let initializing: Promise<void> | undefined;

  const handle = (raw: unknown) => {
    const limit = core.config.server.maxJsonDepth;
    if (exceedsDepth(raw, limit + 3)) {
      // A JSON bomb stops here, before anything walks it recursively.
      const id = (raw as { id?: unknown }).id;
      const rid = typeof id === 'string' || typeof id === 'number' ? id : null;
      send(errorResponse(rid, toJsonRpcError(new GatewayError('SWY_TOO_DEEP', { limit }))));
      return;
    }
    const c = classify(raw);
    if (c.kind === 'invalid') {
      send(
        errorResponse(c.id, toJsonRpcError(new GatewayError('SWY_INVALID_REQUEST', { detail: c.reason }))),
      );
      return;
    }
    const msg = c.msg;
    if (!session) {
      if (initializing) {
        initializing.then(() => handle(raw)).catch(internal);
      } else if ('method' in msg && msg.method === 'initialize' && 'id' in msg) {
        initializing = core.pipeline.initialize(msg, 'stdio', principal).then(
          ({ session: s, response }) => {
            if (s) {
              session = s;
              s.outlet = { send: (m) => (send(m), true) };
            }
            send(response);
            initializing = undefined;
          },
          (err: unknown) => {
            internal(err);
            send(errorResponse(msg.id, toJsonRpcError(err)));
            initializing = undefined;
          },
        );
      } else if ('id' in msg && 'method' in msg) {
        send(errorResponse(msg.id, toJsonRpcError(new GatewayError('SWY_NOT_INITIALIZED'))));
      }
      return;
    }
    core.sessions.touch(session);
    if ('method' in msg && 'id' in msg) core.pipeline.request(session, msg, reply, principal).catch(internal);
    else if ('method' in msg) core.pipeline.notification(session, msg);
    else core.pipeline.response(session, msg);
  };
  transport.onmessage = handle;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const onEnd = () => resolveClosed();
  stdin.once('end', onEnd);
  stdin.once('close', onEnd);
  await transport.start();
  return {
    closed,
    async close() {
      if (session) await core.sessions.close(session);
      await transport.close();
    },
  };
}
