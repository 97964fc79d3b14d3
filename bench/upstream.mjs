/**
 * The benchmark's upstream: the smallest useful MCP server, built with the official SDK, so that
 * every measurement is dominated by the thing being measured (the transport path), not the tool.
 *
 *   node bench/upstream.mjs --port 0     Streamable HTTP at /mcp; prints "listening <url>"
 *   node bench/upstream.mjs --stdio      stdio
 *
 * One tool: `echo` {text} → one text content item with the same text.
 *
 * HTTP mode is stateful (one McpServer + transport per session, randomUUID session ids) and uses
 * `enableJsonResponse: true`: a plain tools/call is answered with one JSON body instead of a
 * one-event SSE stream, so the direct baseline is not slowed down by SSE framing it does not need.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

function createEchoServer() {
  const server = new McpServer({ name: 'bench-upstream', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echo the text back', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

async function serveStdio() {
  await createEchoServer().connect(new StdioServerTransport());
  // The parent closing our stdin is the signal to go.
  process.stdin.on('end', () => process.exit(0));
}

function serveHttp(port) {
  const sessions = new Map();
  const http = createServer(async (req, res) => {
    try {
      const sid = req.headers['mcp-session-id'];
      let transport = sid ? sessions.get(sid) : undefined;
      if (!transport) {
        if (sid) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: null,
              error: { code: -32001, message: 'session not found' },
            }),
          );
          return;
        }
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: true,
          onsessioninitialized: (id) => void sessions.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
        };
        await createEchoServer().connect(transport);
      }
      await transport.handleRequest(req, res);
    } catch (err) {
      process.stderr.write(`bench upstream: ${err?.stack ?? err}\n`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    }
  });
  http.keepAliveTimeout = 65_000;
  http.listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening http://127.0.0.1:${http.address().port}/mcp\n`);
  });
  const stop = () => {
    http.close();
    http.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const args = process.argv.slice(2);
if (args.includes('--stdio')) {
  await serveStdio();
} else {
  const i = args.indexOf('--port');
  serveHttp(i === -1 ? 0 : Number(args[i + 1]));
}
