/**
 * Every entry point takes the same call path (src/gateway/pipeline.ts `run`): the same tool, called
 * through MCP over HTTP, MCP over stdio, an A2A tool group and a declared agent's model, meets the
 * same policy, the same argument and output validation, the same trace spans and the same ledger
 * entry. Only who asked, and how, differ.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { serveStdio } from '../../src/mcp/front/stdio.js';
import { a2aClient, dataPart, sendParams } from '../support/a2a-client.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';
import { startScriptedModel, type ScriptedModel } from '../support/scripted-model.js';

/** The four calls each entry point makes, and what every one of them must come to. */
const CALLS = [
  { tool: 't.echo', args: { text: 'hi' }, outcome: 'ok', errorCode: undefined },
  { tool: 't.echo', args: { text: 42 }, outcome: 'error', errorCode: 'SWY_INVALID_ARGUMENTS' },
  { tool: 't.lies', args: {}, outcome: 'error', errorCode: 'SWY_TOOL_OUTPUT_INVALID' },
  { tool: 't.secret', args: {}, outcome: 'error', errorCode: 'SWY_POLICY_DENIED' },
] as const;

const TRANSPORTS = ['http', 'stdio', 'a2a', 'agent'] as const;

/** An MCP server (the SDK's low-level one, so that `lies` can break its own outputSchema). */
async function startToolServer(): Promise<{ url: string; close(): Promise<void> }> {
  const tools = [
    {
      name: 'echo',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    },
    {
      name: 'lies',
      inputSchema: { type: 'object' },
      outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
    },
    { name: 'secret', inputSchema: { type: 'object' } },
  ];
  const http: HttpServer = createServer((req, res) => {
    const server = new Server({ name: 'tools', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
    server.setRequestHandler(CallToolRequestSchema, (r) =>
      r.params.name === 'lies'
        ? { content: [{ type: 'text', text: 'many' }], structuredContent: { sum: 'many' } }
        : { content: [{ type: 'text', text: `${r.params.name}: ${JSON.stringify(r.params.arguments)}` }] },
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      transport.close().catch(() => {});
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => res.destroy());
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: () => new Promise<void>((r) => http.close(() => r())),
  };
}

describe('one call path for every entry point', () => {
  const exporter = new InMemorySpanExporter();
  let upstream: Awaited<ReturnType<typeof startToolServer>>;
  let model: ScriptedModel;
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    upstream = await startToolServer();
    model = await startScriptedModel();
    gw = await startGateway(
      {
        audit: { storeArguments: true },
        policies: [
          { name: 'all', effect: 'allow', principals: ['*'] },
          { name: 'no-secret', effect: 'deny', principals: ['*'], tools: ['secret'] },
        ],
        upstreams: [{ name: 't', mcp: { url: upstream.url } }],
        a2a: { groups: [{ name: 'kit', tools: ['t.*'] }] },
        models: [{ name: 'scripted', openai: { baseUrl: model.url, model: 'scripted-1' } }],
        agents: [{ name: 'helper', model: 'scripted', tools: ['t.*'] }],
      },
      { traceExporter: exporter },
    );
    ({ client } = await connect(gw.url));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    await model?.close();
    await upstream?.close();
  });

  it('applies the same policy, validation, spans and ledger entry whoever calls', async () => {
    // MCP over Streamable HTTP (the official SDK client).
    for (const c of CALLS) await client.callTool({ name: c.tool, arguments: c.args }).catch(() => {});

    // MCP over stdio (the stdio front, as `switchyard stdio` runs it).
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const answers = new Map<number, (msg: unknown) => void>();
    createInterface({ input: stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { id?: number };
      if (typeof msg.id === 'number') answers.get(msg.id)?.(msg);
    });
    const front = await serveStdio(gw.gateway.core, stdin, stdout);
    let id = 0;
    const stdio = (method: string, params: object) =>
      new Promise((resolve) => {
        answers.set(++id, resolve);
        stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      });
    await stdio('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'desk', version: '1' },
    });
    for (const c of CALLS) await stdio('tools/call', { name: c.tool, arguments: c.args });
    await front.close();

    // An A2A client of a tool group (the tools served as one agent).
    const a2a = await a2aClient(`${gw.url.replace(/\/mcp$/, '')}/a2a/kit/`);
    for (const c of CALLS) await a2a.sendMessage(sendParams([dataPart({ tool: c.tool, arguments: c.args })]));

    // A declared agent whose model asks for each tool.
    for (const c of CALLS) {
      model.script({ toolCalls: [{ name: c.tool.replace('.', '_'), arguments: c.args }] }, { text: 'done' });
      await client.callTool({ name: 'agent.helper', arguments: { message: 'go' } });
    }

    // The ledger: the same entry for each call, whichever way it came.
    const calls = (await ledgerEntries(gw.gateway)).filter(
      (e) => e.method === 'tools/call' && /^t[._]/.test(String(e.target)),
    );
    const seen = (e: Record<string, unknown>) => ({
      target: e.target,
      upstream: e.upstream,
      args: e.args,
      outcome: e.outcome,
      errorCode: e.errorCode,
      decision: e.decision,
      pinned: typeof e.definitionHash === 'string',
    });
    const expected = CALLS.map((c) => ({
      target: c.tool,
      upstream: 't',
      args: c.args,
      outcome: c.outcome,
      errorCode: c.errorCode,
      decision:
        c.tool === 't.secret' ? { effect: 'deny', rule: 'no-secret' } : { effect: 'allow', rule: 'all' },
      // Refused by policy before the pin is looked up.
      pinned: c.tool !== 't.secret',
    }));
    // A declared agent's model is only offered the tools its principal may use: asking for another
    // is refused before routing, and recorded as such.
    const forAgent = [
      ...expected.slice(0, 3),
      {
        target: 't_secret',
        upstream: undefined,
        args: undefined,
        outcome: 'error',
        errorCode: 'SWY_AGENT_TOOL_REFUSED',
        decision: { effect: 'deny', rule: 'agents[helper].tools' },
        pinned: false,
      },
    ];
    for (const transport of TRANSPORTS) {
      expect({ transport, calls: calls.filter((e) => e.transport === transport).map(seen) }).toEqual({
        transport,
        calls: transport === 'agent' ? forAgent : expected,
      });
    }

    // The spans: one per call, and one for the upstream call under each call that reached it.
    await expect
      .poll(() => exporter.getFinishedSpans().filter((s) => s.name === 'tools/call t.lies').length)
      .toBe(TRANSPORTS.length);
    const spans = exporter.getFinishedSpans();
    const childrenOf = (parent: ReadableSpan) =>
      spans.filter(
        (s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === parent.spanContext().spanId,
      );
    const summary = (name: string) =>
      spans
        .filter((s) => s.name === name)
        .map((s) => ({
          outcome: s.attributes['switchyard.outcome'],
          error: s.attributes['error.type'],
          decision: s.attributes['switchyard.policy.decision'],
          upstreamCalls: childrenOf(s).map((c) => c.name),
        }))
        .sort((a, b) => String(a.error).localeCompare(String(b.error)));
    const each = <T>(x: T) => Array.from({ length: TRANSPORTS.length }, () => x);
    expect(summary('tools/call t.echo')).toEqual([
      ...each({ outcome: 'error', error: 'SWY_INVALID_ARGUMENTS', decision: 'allow:all', upstreamCalls: [] }),
      ...each({ outcome: 'ok', error: undefined, decision: 'allow:all', upstreamCalls: ['tools/call echo'] }),
    ]);
    expect(summary('tools/call t.lies')).toEqual(
      each({
        outcome: 'error',
        error: 'SWY_TOOL_OUTPUT_INVALID',
        decision: 'allow:all',
        upstreamCalls: ['tools/call lies'],
      }),
    );
    expect(summary('tools/call t.secret')).toEqual(
      each({
        outcome: 'error',
        error: 'SWY_POLICY_DENIED',
        decision: 'deny:no-secret',
        upstreamCalls: [],
      }).slice(
        1, // not the agent's: it was never offered the tool
      ),
    );
  });
});
