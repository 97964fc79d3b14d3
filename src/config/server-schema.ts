/** The config section for the HTTP listener and the MCP endpoint. Part of the one config schema (`schema.ts`). */
import { z } from 'zod';
import { durationMs } from './schema-parts.js';

export const ServerSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Address to bind. Loopback by default.'),
    port: z.number().int().min(0).max(65535).default(4180).describe('TCP port (0 picks a free one).'),
    name: z.string().default('switchyard').describe('`serverInfo.name` announced to MCP clients.'),
    publicUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .optional()
      .describe(
        'The URL clients reach the gateway at, used in the A2A agent cards it serves. Default: from the ' +
          "request's Host header.",
      ),
    instructions: z.string().optional().describe('Instructions announced to MCP clients on initialize.'),
    allowedOrigins: z
      .array(z.string())
      .optional()
      .describe(
        'Origins accepted on /mcp (403 otherwise). Default: loopback origins only (http(s)://localhost, ' +
          '127.0.0.1, [::1] on any port). Requests without an Origin header are allowed.',
      ),
    allowedHosts: z
      .array(z.string())
      .optional()
      .describe(
        'Host header values accepted (403 otherwise), as `host` or `host:port`. Default: when bound to ' +
          'loopback, only loopback names; otherwise any.',
      ),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .default(4 * 1024 * 1024)
      .describe('Largest request body accepted on /mcp and the admin API (413 beyond).'),
    headersTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(10_000)
      .describe('A client must send its request headers within this time (slow-loris defence).'),
    requestTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe('A client must send its whole request (headers and body) within this time.'),
    trustedProxies: z
      .array(z.string())
      .default([])
      .describe(
        'Addresses of reverse proxies whose X-Forwarded-For is believed. From anyone else X-Forwarded-* ' +
          'headers are ignored.',
      ),
    maxJsonDepth: z
      .number()
      .int()
      .min(4)
      .max(1000)
      .default(64)
      .describe('Deepest nesting of objects and arrays accepted in request params (deeper: refused).'),
    responseMode: z
      .enum(['auto', 'json', 'sse'])
      .default('auto')
      .describe(
        'How POST responses are sent: `auto` answers with JSON unless the request produces notifications ' +
          'or server-to-client requests first, then switches to an SSE stream; `sse` always streams; ' +
          '`json` never streams (progress and server requests then go to the GET stream).',
      ),
    pageSize: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe(
        'Largest page returned by tools/list, prompts/list and resources/list (clients follow nextCursor).',
      ),
    sessionIdleTimeoutMs: durationMs('Sessions unused for this long are closed (0: never).', 30 * 60_000),
    maxSessionsPerPrincipal: z
      .number()
      .int()
      .min(1)
      .default(256)
      .describe(
        "MCP sessions one principal may hold on this process. One more closes that principal's least " +
          'recently used session (its client gets 404 and initializes again), so a client that opens ' +
          'sessions in a loop cannot fill memory, nor lock out others sharing its principal (`anonymous`).',
      ),
    sseKeepAliveMs: durationMs('Interval of SSE keep-alive comments (0 disables).', 15_000),
    maxStreamBufferBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(8 * 1024 * 1024)
      .describe(
        'Most bytes that may wait unsent on one SSE connection. A client that stops reading is ' +
          'disconnected beyond it instead of being buffered for; its events stay in the event log and it ' +
          'resumes with Last-Event-ID.',
      ),
    shutdownGraceMs: durationMs('On SIGTERM, how long in-flight calls may take to finish.', 10_000),
  })
  .describe('The HTTP listener and the MCP endpoint at /mcp.');
