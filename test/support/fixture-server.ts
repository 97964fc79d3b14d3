/**
 * A real MCP server (official SDK) for end-to-end and fault tests, run as a child process:
 *
 *   node --import tsx test/support/fixture-server.ts --stdio
 *   node --import tsx test/support/fixture-server.ts --port 0    (prints "listening <url>")
 *   node --import tsx test/support/fixture-server.ts --sse 0     legacy HTTP+SSE (prints "listening <url>/sse")
 *
 * FIXTURE_NAME names the instance (tool `whoami`), so tests can tell federated upstreams apart.
 * Besides ordinary tools it has misbehaving ones: crash, hang, garbage output, slow with progress.
 * On SIGUSR2 it sends, outside any call, a log message, then a roots/list and a sampling request
 * (tool `unsolicited` tells how they were answered) — the trigger comes from outside MCP, so no
 * call of the client's is in flight when they leave.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const NAME = process.env.FIXTURE_NAME ?? 'fixture';
const TINY_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** Requests the server saw cancelled (by id), so tests can check cancellation arrived. */
const cancelled: string[] = [];
/** Calls of `slow` and `hang` running now, by tool: tests wait for a call to be in flight here. */
const running: Record<string, number> = { slow: 0, hang: 0 };
/** How the requests sent on SIGUSR2 were answered, in order. */
const unsolicited: {
  method: string;
  result?: unknown;
  error?: { code: unknown; message: string; data: unknown };
}[] = [];
/** Every server instance of this process (one over stdio, one per session over HTTP). */
const servers = new Set<McpServer>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createFixtureServer(): McpServer {
  const server = new McpServer(
    { name: `fixture-${NAME}`, version: '1.0.0' },
    {
      capabilities: { logging: {}, completions: {}, resources: { subscribe: true } },
      instructions: `Fixture server ${NAME}.`,
    },
  );
  const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

  server.registerTool('whoami', { description: 'Name of this fixture instance' }, async () => text(NAME));
  server.registerTool(
    'env',
    { description: 'Value of an environment variable of this server', inputSchema: { name: z.string() } },
    async ({ name }) => text(process.env[name] ?? '(unset)'),
  );
  server.registerTool('pid', { description: 'Process id of this server' }, async () =>
    text(String(process.pid)),
  );

  const echo = server.registerTool(
    'echo',
    { description: 'Echo the text back', inputSchema: { text: z.string() } },
    async ({ text: t }) => text(`echo: ${t}`),
  );
  server.registerTool(
    'authorization',
    { description: 'The Authorization header this server received (HTTP only)' },
    async (extra) => text(String(extra.requestInfo?.headers?.authorization ?? '(none)')),
  );
  // A rug pull: change echo's definition under the clients' feet (sends tools/list_changed).
  server.registerTool(
    'rug-pull',
    { description: "Change the echo tool's description", inputSchema: { description: z.string() } },
    async ({ description }) => {
      echo.update({ description });
      return text('changed');
    },
  );

  server.registerTool(
    'add',
    {
      description: 'Add two numbers (structured output)',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
      structuredContent: { sum: a + b },
    }),
  );

  server.registerTool(
    'slow',
    {
      description: 'Take `ms` milliseconds, reporting progress `steps` times',
      inputSchema: { ms: z.number(), steps: z.number().default(0) },
    },
    async ({ ms, steps }, extra) => {
      running.slow!++;
      try {
        const token = extra._meta?.progressToken;
        const n = Math.max(steps, 1);
        for (let i = 1; i <= n; i++) {
          await sleep(ms / n);
          if (extra.signal.aborted) return text('aborted');
          if (token !== undefined && steps > 0) {
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress: i, total: steps, message: `step ${i}` },
            });
          }
        }
        return text(`slept ${ms}`);
      } finally {
        running.slow!--;
      }
    },
  );

  server.registerTool('hang', { description: 'Never answers (until cancelled)' }, async (extra) => {
    running.hang!++;
    await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve()));
    running.hang!--;
    cancelled.push(String(extra.requestId));
    return text('cancelled');
  });

  server.registerTool(
    'running',
    { description: 'How many calls of `slow` and `hang` are running now (all sessions of this process)' },
    async () => text(JSON.stringify(running)),
  );

  server.registerTool('cancelled', { description: 'Ids of requests this server saw cancelled' }, async () =>
    text(JSON.stringify(cancelled)),
  );

  server.registerTool(
    'unsolicited',
    { description: 'How the requests sent outside any call (on SIGUSR2) were answered' },
    async () => text(JSON.stringify(unsolicited)),
  );

  server.registerTool('crash', { description: 'Exit the process mid-call' }, async () => {
    setTimeout(() => process.exit(3), 10);
    await sleep(10_000);
    return text('unreachable');
  });

  server.registerTool(
    'garbage',
    { description: 'Write a non-JSON line to stdout, then answer' },
    async () => {
      if (!process.env.FIXTURE_HTTP) process.stdout.write('this is not JSON-RPC\n{"half": \n');
      return text('still here');
    },
  );

  server.registerTool(
    'sample',
    { description: 'Ask the client to sample (related to this call)', inputSchema: { prompt: z.string() } },
    async ({ prompt }, extra) => {
      const r = await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 20 },
        },
        CreateMessageResultSchema,
      );
      return text(`sampled: ${r.content.type === 'text' ? r.content.text : r.content.type}`);
    },
  );

  server.registerTool(
    'elicit',
    { description: 'Ask the user for a value (elicitation)', inputSchema: { message: z.string() } },
    async ({ message }, extra) => {
      extra.signal.addEventListener('abort', () => cancelled.push(String(extra.requestId)));
      const r = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            mode: 'form',
            message,
            requestedSchema: {
              type: 'object',
              properties: { color: { type: 'string' } },
              required: ['color'],
            },
          },
        },
        ElicitResultSchema,
      );
      return text(`elicited: ${r.action} ${JSON.stringify(r.content ?? {})}`);
    },
  );

  server.registerTool('roots', { description: 'Ask the client for its roots' }, async (extra) => {
    const r = await extra.sendRequest({ method: 'roots/list' }, ListRootsResultSchema);
    return text(JSON.stringify(r.roots.map((root) => root.uri)));
  });

  server.registerTool(
    'freeze',
    { description: 'Block the event loop (an unresponsive server)', inputSchema: { ms: z.number() } },
    async ({ ms }) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        // busy: pings go unanswered
      }
      return text('thawed');
    },
  );

  server.registerTool(
    'log',
    {
      description: 'Send a log message, then answer',
      inputSchema: { level: z.string(), message: z.string() },
    },
    async ({ level, message }, extra) => {
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: level as 'info', logger: 'fixture', data: message },
      });
      return text('logged');
    },
  );

  server.registerTool(
    'flood',
    {
      description: 'Send `count` log messages of about `size` characters each, then answer',
      inputSchema: { count: z.number(), size: z.number() },
    },
    async ({ count, size }, extra) => {
      const filler = 'x'.repeat(size);
      for (let i = 0; i < count; i++) {
        await extra.sendNotification({
          method: 'notifications/message',
          params: { level: 'info', logger: 'flood', data: `${i} ${filler}` },
        });
      }
      return text(`sent ${count}`);
    },
  );

  server.registerTool(
    'huge',
    { description: 'Answer with a text of `size` characters', inputSchema: { size: z.number() } },
    async ({ size }) => text('z'.repeat(size)),
  );

  server.registerTool('content-types', { description: 'One of every content type' }, async () => ({
    content: [
      { type: 'text', text: 'plain' },
      { type: 'image', data: TINY_PNG, mimeType: 'image/png' },
      { type: 'audio', data: 'UklGRiQAAABXQVZF', mimeType: 'audio/wav' },
      {
        type: 'resource',
        resource: { uri: 'fixture://static/hello', mimeType: 'text/plain', text: 'hello' },
      },
      { type: 'resource_link', uri: 'fixture://items/7', name: 'item 7', mimeType: 'text/plain' },
    ],
    structuredContent: { kinds: ['text', 'image', 'audio', 'resource', 'resource_link'] },
  }));

  server.registerTool('error', { description: 'A tool result with isError' }, async () => ({
    content: [{ type: 'text', text: 'this tool failed' }],
    isError: true,
  }));

  let extra = 0;
  server.registerTool('add-tool', { description: 'Register one more tool (list_changed)' }, async () => {
    const name = `extra-${++extra}`;
    server.registerTool(name, { description: 'added at runtime' }, async () => text(name));
    return text(name);
  });

  server.registerTool(
    'touch',
    { description: 'Announce that a resource changed', inputSchema: { uri: z.string() } },
    async ({ uri }) => {
      await server.server.sendResourceUpdated({ uri });
      return text(`touched ${uri}`);
    },
  );

  server.registerResource(
    'hello',
    'fixture://static/hello',
    { mimeType: 'text/plain', description: 'A static text resource' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: `hello from ${NAME}` }] }),
  );
  server.registerResource(
    'item',
    new ResourceTemplate('fixture://items/{id}', {
      list: undefined,
      complete: { id: (value) => ['1', '2', '7', '42'].filter((v) => v.startsWith(value)) },
    }),
    { mimeType: 'text/plain' },
    async (uri, { id }) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: `item ${String(id)}` }],
    }),
  );

  // Files under /srv, answered with the URI as the server received it (policy tests read them
  // under many spellings).
  server.registerResource(
    'srv-file',
    new ResourceTemplate('file:///srv/{+path}', { list: undefined }),
    { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: `file ${uri.href}` }] }),
  );

  server.registerPrompt(
    'greet',
    { description: 'Greet someone', argsSchema: { name: z.string() } },
    ({ name }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${name}!` } }] }),
  );

  // resources/subscribe and unsubscribe: accepted (updates are sent by the `touch` tool).
  server.server.setRequestHandler(
    z.object({ method: z.literal('resources/subscribe'), params: z.object({ uri: z.string() }) }) as never,
    async () => ({}),
  );
  server.server.setRequestHandler(
    z.object({ method: z.literal('resources/unsubscribe'), params: z.object({ uri: z.string() }) }) as never,
    async () => ({}),
  );
  servers.add(server);
  server.server.onclose = () => servers.delete(server);
  return server;
}

/** A log message, then a roots/list and a sampling request, none of them tied to a call. */
async function sendUnsolicited(server: McpServer): Promise<void> {
  await server.server.notification({
    method: 'notifications/message',
    params: { level: 'warning', logger: 'fixture', data: `unsolicited log from ${NAME}` },
  });
  const requests = [
    { method: 'roots/list', schema: ListRootsResultSchema },
    {
      method: 'sampling/createMessage',
      params: {
        messages: [{ role: 'user', content: { type: 'text', text: `a prompt from ${NAME}` } }],
        maxTokens: 20,
      },
      schema: CreateMessageResultSchema,
    },
  ] as const;
  for (const { method, schema, ...rest } of requests) {
    try {
      const result = await server.server.request({ method, ...rest } as never, schema);
      unsolicited.push({ method, result });
    } catch (err) {
      const e = err as { code?: unknown; message: string; data?: unknown };
      unsolicited.push({ method, error: { code: e.code, message: e.message, data: e.data } });
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  process.on('SIGUSR2', () => {
    for (const s of servers) sendUnsolicited(s).catch((err: unknown) => console.error('unsolicited:', err));
  });
  if (args.includes('--stdio')) {
    await createFixtureServer().connect(new StdioServerTransport());
    process.stdin.on('end', () => process.exit(0));
    return;
  }
  process.env.FIXTURE_HTTP = '1';
  if (args.includes('--sse')) return serveLegacySse(Number(args[args.indexOf('--sse') + 1] ?? 0));
  const portArg = args[args.indexOf('--port') + 1];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'] as string | undefined;
    let transport = sid ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid) {
        res.writeHead(404).end();
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, transport!),
      });
      await createFixtureServer().connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  http.listen(Number(portArg ?? 0), '127.0.0.1', () => {
    const addr = http.address() as { port: number };
    process.stdout.write(`listening http://127.0.0.1:${addr.port}/mcp\n`);
  });
}

/** The deprecated HTTP+SSE transport (MCP 2024-11-05): GET /sse opens the stream, POST /messages sends. */
function serveLegacySse(port: number): void {
  const transports = new Map<string, SSEServerTransport>();
  const http = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      res.on('close', () => transports.delete(transport.sessionId));
      await createFixtureServer().connect(transport);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      const transport = transports.get(url.searchParams.get('sessionId') ?? '');
      if (!transport) return void res.writeHead(404).end();
      await transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  http.listen(port, '127.0.0.1', () => {
    const addr = http.address() as { port: number };
    process.stdout.write(`listening http://127.0.0.1:${addr.port}/sse\n`);
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
