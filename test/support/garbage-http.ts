/**
 * A deliberately broken Streamable HTTP "MCP server": it completes the handshake and lists one
 * tool, then answers every tools/call with a 200 that is not JSON-RPC at all.
 */
import { createServer, type Server } from 'node:http';

export async function startGarbageServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const msg = JSON.parse(body) as { id?: number; method: string };
      const json = (result: unknown) =>
        res
          .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'garbage-session' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      if (msg.id === undefined) return void res.writeHead(202).end();
      if (msg.method === 'initialize') {
        return json({
          protocolVersion: '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'garbage', version: '0' },
        });
      }
      if (msg.method === 'tools/list') {
        return json({ tools: [{ name: 'broken', inputSchema: { type: 'object' } }] });
      }
      if (msg.method === 'ping') return json({});
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><body>502 Bad Gateway (not really)</body></html>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/mcp`, server };
}
