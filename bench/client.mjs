/**
 * A lean MCP Streamable HTTP client for load generation (MCP 2025-11-25 §Transports).
 *
 * The official SDK client does far more per call than a load generator should (schema validation,
 * a fetch-based transport, a standalone GET stream), which would make the client the bottleneck on
 * a small machine. This one does only what the wire requires: initialize → mcp-session-id,
 * notifications/initialized, then POSTs carrying mcp-session-id and mcp-protocol-version. Responses
 * may be `application/json` or `text/event-stream`; both are parsed. Connections are pooled with
 * keep-alive (undici Pool, no pipelining), one pool per target URL.
 *
 * The same client drives the direct baseline, the gateway and mcp-proxy, so comparisons are fair.
 */
import { Pool } from 'undici';

export const PROTOCOL_VERSION = '2025-11-25';

export class McpHttpClient {
  /**
   * @param {string} url the MCP endpoint, e.g. http://127.0.0.1:4180/mcp
   * @param {{ connections?: number, headers?: Record<string, string> }} [opts] pool size (use at
   *   least the number of calls in flight); headers sent on every request (e.g. Authorization)
   */
  constructor(url, { connections = 64, headers = {} } = {}) {
    const u = new URL(url);
    this.url = url;
    this.extraHeaders = headers;
    this.path = u.pathname + u.search;
    this.pool = new Pool(u.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  /** initialize + notifications/initialized; resolves with a session ready for calls. */
  async openSession() {
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.extraHeaders,
    };
    const init = {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'switchyard-bench', version: '1.0.0' },
      },
    };
    const { message, responseHeaders } = await this.#post(headers, init);
    const sessionId = responseHeaders['mcp-session-id'];
    if (!sessionId) throw new Error(`${this.url}: initialize returned no mcp-session-id`);
    if (message.error) throw new Error(`${this.url}: initialize failed: ${message.error.message}`);
    const session = new McpSession(this, String(sessionId), message.result.protocolVersion);
    await this.#post(session.headers, { jsonrpc: '2.0', method: 'notifications/initialized' });
    return session;
  }

  close() {
    return this.pool.close();
  }

  /** POST one JSON-RPC message; for a request, resolve with its response message. */
  async #post(headers, msg) {
    const res = await this.pool.request({
      path: this.path,
      method: 'POST',
      headers,
      body: JSON.stringify(msg),
    });
    if (res.statusCode === 202) {
      await res.body.dump();
      return { message: undefined, responseHeaders: res.headers };
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) {
      throw new Error(`${this.url}: HTTP ${res.statusCode} for ${msg.method}: ${text.slice(0, 200)}`);
    }
    const type = String(res.headers['content-type'] ?? '');
    const message = type.includes('text/event-stream') ? answerInSse(text, msg.id) : JSON.parse(text);
    if (!message) throw new Error(`${this.url}: no answer to ${msg.method} in the response`);
    return { message, responseHeaders: res.headers };
  }

  /** For McpSession: a request in a session, resolving with its response message. */
  async request(session, msg) {
    return (await this.#post(session.headers, msg)).message;
  }
}

export class McpSession {
  constructor(client, id, protocolVersion) {
    this.client = client;
    this.id = id;
    this.protocolVersion = protocolVersion;
    this.nextId = 1;
    // Built once: every request of the session carries the same headers.
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': id,
      'mcp-protocol-version': protocolVersion,
      ...client.extraHeaders,
    };
  }

  /** tools/call; resolves with the result, rejects on a JSON-RPC error or a tool error. */
  async callTool(name, args) {
    const msg = await this.client.request(this, {
      jsonrpc: '2.0',
      id: this.nextId++,
      method: 'tools/call',
      params: { name, arguments: args },
    });
    if (msg.error) throw new Error(`tools/call ${name}: ${msg.error.code} ${msg.error.message}`);
    if (msg.result?.isError) throw new Error(`tools/call ${name}: tool error ${JSON.stringify(msg.result)}`);
    return msg.result;
  }
}

/**
 * The response to request `id` among the events of a (complete) SSE body. Events without data
 * (priming events, keep-alives) and messages for other ids (progress, logs) are skipped.
 */
export function answerInSse(text, id) {
  for (const block of text.split(/\r?\n\r?\n/)) {
    let data = '';
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line[5] === ' ' ? 6 : 5);
    }
    if (!data) continue;
    const msg = JSON.parse(data);
    if ('id' in msg && msg.id === id && ('result' in msg || 'error' in msg)) return msg;
  }
  return undefined;
}
