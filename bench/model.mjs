#!/usr/bin/env node
/**
 * A deterministic OpenAI-compatible model for the agent benchmark: no model, only the protocol.
 * Streaming chat completions (SSE, tool-call deltas, a usage chunk) answer by a fixed rule:
 *
 *   last message from the user  → one tool call `echo({"text": "<the user's text>"})`
 *   last message a tool result  → the answer "done: <the result>", in 4 chunks
 *
 * so every agent run is exactly two model turns and one tool call. Prints `listening <base url>`.
 *
 *   node bench/model.mjs --port 0
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

function chunk(delta, finish = null) {
  return `data: ${JSON.stringify({
    id: 'bench',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'bench',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
}

function answer(messages) {
  const last = messages.at(-1);
  const out = [chunk({ role: 'assistant' })];
  if (last?.role === 'tool') {
    const text = `done: ${last.content}`;
    const n = Math.ceil(text.length / 4);
    for (let i = 0; i < text.length; i += n) out.push(chunk({ content: text.slice(i, i + n) }));
    out.push(chunk({}, 'stop'));
  } else {
    const args = JSON.stringify({ text: String(last?.content ?? '') });
    out.push(
      chunk({
        tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'echo', arguments: '' } }],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 5) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] }),
      chunk({}, 'tool_calls'),
    );
  }
  out.push(
    `data: ${JSON.stringify({ id: 'bench', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 } })}\n\n`,
    'data: [DONE]\n\n',
  );
  return out.join('');
}

const server = createServer((req, res) => {
  const body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const { messages } = JSON.parse(Buffer.concat(body).toString('utf8'));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.end(answer(messages));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/v1`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
