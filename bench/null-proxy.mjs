/**
 * A pass-through HTTP proxy with no MCP or A2A logic at all: the floor for any Node.js hop.
 *
 *   node bench/null-proxy.mjs --target http://127.0.0.1:9000/mcp     (prints "listening <url>")
 *
 * It relays each request to the target (node:http in, undici Pool out, keep-alive, the same pool
 * settings as Switchyard's HTTP upstream channel) and the answer back, with the end-to-end headers
 * both ways (not the hop-by-hop ones). Bodies are buffered, which is fine for POST answers (JSON,
 * or an SSE stream that ends with the answer). Comparing direct → null proxy → Switchyard splits
 * the gateway's added cost into "one more HTTP hop in Node" and "what the gateway does on top".
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const args = process.argv.slice(2);
const target = new URL(args[args.indexOf('--target') + 1]);
const pool = new Pool(target.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
// RFC 9110 §7.6.1: these belong to one connection, not to the message. The length is recomputed.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

function endToEnd(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

const server = createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const up = await pool.request({
      path: target.pathname + target.search,
      method: req.method,
      headers: endToEnd(req.headers),
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await up.body.arrayBuffer());
    res.writeHead(up.statusCode, endToEnd(up.headers)).end(body);
  } catch (err) {
    if (!res.headersSent) res.writeHead(502).end(String(err?.message ?? err));
    else res.end();
  }
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}/mcp\n`);
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  void pool.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
