/**
 * The agent benchmark: what the gateway adds to an agent run, beyond the model's own time.
 *
 * One run = two model turns (a tool call, then the answer) and one tool call, against the
 * deterministic model of bench/model.mjs and the echo upstream. Measured side by side in
 * alternating blocks:
 *
 *   direct      this process does the run itself: model turn → tools/call straight to the
 *               upstream → model turn (the least any agent runtime could spend)
 *   switchyard  tools/call `agent.bench` on the gateway, which runs the same steps through its
 *               data path (policy, pinning, validation, ledger, store history)
 *
 * The added time per step is (switchyard − direct) / 2 turns. The gateway also reports where a
 * run's time went (`_meta` timings): total minus model time is its own time plus the tool call.
 */
import { request } from 'undici';
import { McpHttpClient } from './client.mjs';

const QUESTION = 'hello, agent';
const ANSWER = `done: ${QUESTION}`;

/** The run without a gateway: the same two model requests and one tool call. */
async function directRun(modelUrl, upstream) {
  const messages = [
    { role: 'system', content: 'bench' },
    { role: 'user', content: QUESTION },
  ];
  const first = await chat(modelUrl, messages);
  const call = first.toolCalls[0];
  const result = await upstream.callTool(call.name, JSON.parse(call.arguments));
  messages.push(
    { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call }] },
    { role: 'tool', tool_call_id: call.id, content: result.content[0].text },
  );
  const second = await chat(modelUrl, messages);
  if (second.text !== ANSWER) throw new Error(`unexpected direct answer: ${second.text}`);
}

/** One streamed chat completion, read to the end: its text and tool calls. */
async function chat(modelUrl, messages) {
  const res = await request(`${modelUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'bench', messages, stream: true, tools: [] }),
  });
  const body = await res.body.text();
  let text = '';
  const calls = [];
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const delta = JSON.parse(line.slice(6)).choices?.[0]?.delta;
    if (delta?.content) text += delta.content;
    for (const t of delta?.tool_calls ?? []) {
      calls[t.index] ??= { id: t.id, name: '', arguments: '' };
      if (t.function?.name) calls[t.index].name = t.function.name;
      if (t.function?.arguments) calls[t.index].arguments += t.function.arguments;
    }
  }
  return { text, toolCalls: calls };
}

async function gatewayRun(session, timings) {
  const result = await session.callTool('agent.bench', { message: QUESTION });
  if (result.content?.[0]?.text !== ANSWER)
    throw new Error(`unexpected agent answer: ${JSON.stringify(result)}`);
  timings.push(result._meta['dev.switchyard/agent'].timings);
}

/** Sequential runs, alternating blocks of direct and gateway runs; bounded by `runs`. */
export async function agentOverhead({ modelUrl, upstreamUrl, gatewayUrl }, { warmup, runs, block }) {
  const upClient = new McpHttpClient(upstreamUrl, { connections: 1 });
  const gwClient = new McpHttpClient(gatewayUrl, { connections: 1 });
  const upstream = await upClient.openSession();
  const gateway = await gwClient.openSession();
  const samples = { direct: [], switchyard: [] };
  const timings = [];
  try {
    for (let i = 0; i < warmup; i++) {
      await directRun(modelUrl, upstream);
      await gatewayRun(gateway, []);
    }
    for (let done = 0; done < runs; done += block) {
      const order = (done / block) % 2 === 0 ? ['direct', 'switchyard'] : ['switchyard', 'direct'];
      for (const target of order) {
        for (let i = 0; i < block; i++) {
          const t0 = performance.now();
          if (target === 'direct') await directRun(modelUrl, upstream);
          else await gatewayRun(gateway, timings);
          samples[target].push(performance.now() - t0);
        }
      }
    }
  } finally {
    await Promise.all([upClient.close(), gwClient.close()]);
  }
  return { samples, timings };
}
