/**
 * A Streamable HTTP "MCP server" that answers with more than anyone should read: it completes the
 * handshake and lists its tools, then per tool:
 *   huge-json    a JSON answer that goes on for up to 64 MiB (until the reader hangs up)
 *   huge-event   an SSE stream whose first event goes on for up to 64 MiB
 *   many-events  an SSE stream of 200 progress notifications of 1 KB each, then the answer
 *   hello        a small answer
 * It notes how many bytes it sent for each tool and whether the reader hung up first.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';

const CAP = 64 * 1024 * 1024;
const CHUNK = 'x'.repeat(64 * 1024);

export interface HugeServer {
  url: string;
  server: Server;
  /** Bytes sent per tool, and whether the client closed the connection before the end. */
  sent: Map<string, { bytes: number; cutOff: boolean }>;
}

export async function startHugeServer(): Promise<HugeServer> {
  const sent = new Map<string, { bytes: number; cutOff: boolean }>();

  /** Write `head`, then filler until the cap or until the reader is gone. */
  const endless = async (tool: string, res: ServerResponse, head: string): Promise<void> => {
    const note = { bytes: 0, cutOff: false };
    sent.set(tool, note);
    let closed = false;
    res.once('close', () => (closed = true));
    res.write(head);
    note.bytes += head.length;
    while (note.bytes < CAP && !closed) {
      if (!res.write(CHUNK)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      note.bytes += CHUNK.length;
    }
    note.cutOff = closed;
    res.end();
  };

  const server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const msg = JSON.parse(body) as { id?: number | string; method: string; params?: { name?: string } };
      const headers = { 'mcp-session-id': 'huge-session' };
      const json = (result: unknown) =>
        res
          .writeHead(200, { ...headers, 'content-type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      if (msg.id === undefined) return void res.writeHead(202, headers).end();
      if (msg.method === 'initialize')
        return json({
          protocolVersion: '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'huge', version: '0' },
        });
      if (msg.method === 'ping') return json({});
      if (msg.method === 'tools/list')
        return json({
          tools: ['huge-json', 'huge-event', 'many-events', 'hello'].map((name) => ({
            name,
            inputSchema: { type: 'object' },
          })),
        });
      const tool = msg.params?.name ?? '';
      const id = JSON.stringify(msg.id);
      if (tool === 'huge-json') {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        endless(tool, res, `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"`).catch(
          () => res.destroy(),
        );
        return;
      }
      if (tool === 'huge-event') {
        res.writeHead(200, { ...headers, 'content-type': 'text/event-stream' });
        const note = '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"';
        endless(tool, res, `event: message\ndata: ${note}`).catch(() => res.destroy());
        return;
      }
      if (tool === 'many-events') {
        res.writeHead(200, { ...headers, 'content-type': 'text/event-stream' });
        const token = (msg.params as { _meta?: { progressToken?: unknown } })._meta?.progressToken;
        const filler = 'y'.repeat(1024);
        for (let i = 1; i <= 200; i++) {
          const progress = { progressToken: token, progress: i, total: 200, message: filler };
          res.write(
            `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: progress })}\n\n`,
          );
        }
        const answer = {
          jsonrpc: '2.0',
          id: msg.id,
          result: { content: [{ type: 'text', text: 'all sent' }] },
        };
        res.end(`event: message\ndata: ${JSON.stringify(answer)}\n\n`);
        return;
      }
      return json({ content: [{ type: 'text', text: 'hello' }] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/mcp`, server, sent };
}
