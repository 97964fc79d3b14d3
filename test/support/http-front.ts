/**
 * The Streamable HTTP front (src/mcp/front/http.ts) on a loopback port, in-process, in front of a
 * scripted pipeline instead of the real one: what a request does is chosen by its method, so a
 * test decides whether the answer comes at once, after progress, or when the test says so. The
 * store behind sessions and the event log is in memory.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateConfig } from '../../src/config/load.js';
import type { Pipeline } from '../../src/gateway/pipeline.js';
import { readRequestBody } from '../../src/http/body.js';
import { HttpFront } from '../../src/mcp/front/http.js';
import { EventLog } from '../../src/mcp/front/sse.js';
import type { JsonObject, RpcNotification, RpcRequest, RpcResponse } from '../../src/mcp/jsonrpc.js';
import type { Reply, Session } from '../../src/mcp/session.js';
import { SessionRegistry } from '../../src/mcp/sessions.js';
import type { EventRepo, SessionRepo, StoredEvent, StoredSession } from '../../src/store/types.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { ALICE } from './fakes.js';

export function memorySessionRepo(): SessionRepo {
  const rows = new Map<string, StoredSession>();
  return {
    insert: async (s) => void rows.set(s.id, s),
    get: async (id) => rows.get(id),
    setLogLevel: async () => {},
    touch: async () => {},
    delete: async (id) => void rows.delete(id),
    expire: async () => [],
  };
}

export function memoryEventRepo(): EventRepo {
  const events: StoredEvent[] = [];
  return {
    append: async (e) => void events.push(...e),
    after: async (stream, seq) => events.filter((e) => e.streamId === stream && e.seq > seq),
    sessionOf: async (stream) => events.find((e) => e.streamId === stream)?.sessionId,
    prune: async () => 0,
  };
}

export interface FrontHarness {
  url: string;
  /** Notifications and client responses the front handed to the pipeline, in order. */
  readonly received: (RpcNotification | RpcResponse)[];
  /** Requests whose answer the test gives (method `hold`), by id. */
  readonly held: Map<string | number, Reply>;
  /** Open a session at protocol `version`; returns its id. */
  initialize(version?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Methods of the scripted pipeline: `echo` answers at once with its params; `progress` sends a
 * progress notification, then answers; `hold` waits for the test (see `held`).
 */
export async function startFront(config: JsonObject = {}): Promise<FrontHarness> {
  const snapshot = validateConfig({ store: 'sqlite::memory:', ...config });
  const log = silentLogger();
  const sessions = new SessionRegistry(memorySessionRepo(), log, 60_000);
  const received: (RpcNotification | RpcResponse)[] = [];
  const held = new Map<string | number, Reply>();
  const pipeline = {
    authenticate: async () => ALICE,
    async initialize(msg: RpcRequest, transport: 'http' | 'stdio') {
      const session = await sessions.create({
        transport,
        protocolVersion: String(msg.params?.protocolVersion),
        clientInfo: {},
        clientCapabilities: {},
        principal: ALICE.name,
        identity: ALICE,
      });
      return {
        session,
        response: { jsonrpc: '2.0', id: msg.id, result: { protocolVersion: session.protocolVersion } },
      };
    },
    async request(_s: Session, msg: RpcRequest, reply: Reply) {
      switch (msg.method) {
        case 'progress':
          reply.related({
            jsonrpc: '2.0',
            method: 'notifications/progress',
            params: { progressToken: 1, progress: 1 },
          });
          break;
        case 'hold':
          held.set(msg.id, reply);
          return;
      }
      reply.respond({
        jsonrpc: '2.0',
        id: msg.id,
        result: { method: msg.method, params: msg.params ?? null },
      });
    },
    notification: (_s: Session, msg: RpcNotification) => void received.push(msg),
    response: (_s: Session, msg: RpcResponse) => void received.push(msg),
  } as unknown as Pipeline;
  const front = new HttpFront({
    pipeline,
    sessions,
    events: new EventLog(memoryEventRepo(), log),
    config: () => snapshot,
    log,
  });
  const server: Server = createServer((req, res) => {
    readRequestBody(req, { maxBytes: 1 << 20, maxDepth: 32 })
      .then((body) => front.handle(req, res, body))
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    received,
    held,
    async initialize(version = '2025-11-25') {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: version },
        }),
      });
      if (res.status !== 200) throw new Error(`initialize: HTTP ${res.status}`);
      return res.headers.get('mcp-session-id')!;
    },
    stop: () =>
      new Promise<void>((r) => {
        front.stop();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
