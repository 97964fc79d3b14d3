/** OpenTelemetry spans end to end, collected with the SDK's in-memory exporter. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createGateway, type Gateway } from '../../src/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { stdioFixture } from '../support/fixtures.js';
import { connect } from '../support/gateway.js';
import { a2aClient, sendParams, textPart } from '../support/a2a-client.js';
import { startScriptedModel, type ScriptedModel } from '../support/scripted-model.js';

describe('traces', () => {
  const exporter = new InMemorySpanExporter();
  let gateway: Gateway;
  let client: Client;
  beforeAll(async () => {
    gateway = createGateway(
      {
        store: 'sqlite::memory:',
        server: { port: 0 },
        reload: { watch: false },
        policies: [
          { name: 'all', effect: 'allow', principals: ['*'] },
          { name: 'no-pid', effect: 'deny', principals: ['*'], tools: ['pid'] },
        ],
        upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
      },
      { logger: silentLogger(), traceExporter: exporter },
    );
    await gateway.start();
    await gateway.core.upstreamsStarted();
    ({ client } = await connect(gateway.url!));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
  });

  it('records a server span per request and a client span per upstream call, with MCP/GenAI attributes', async () => {
    await client.callTool({ name: 'local.echo', arguments: { text: 'traced' } });
    await client.callTool({ name: 'local.pid', arguments: {} }).catch(() => {});
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === 'tools/call local.echo')!;
    expect(call.kind).toBe(SpanKind.SERVER);
    expect(call.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'local.echo',
      'switchyard.upstream': 'local',
      'switchyard.principal': 'anonymous',
      'switchyard.policy.decision': 'allow:all',
      'switchyard.outcome': 'ok',
      'network.transport': 'tcp',
    });
    expect(call.attributes['mcp.session.id']).toBeTruthy();
    const upstream = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === 'tools/call echo')!;
    expect(upstream.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    expect(upstream.spanContext().traceId).toBe(call.spanContext().traceId);
    expect(upstream.attributes).toMatchObject({ 'gen_ai.tool.name': 'echo', 'switchyard.upstream': 'local' });

    const denied = spans.find((s) => s.name === 'tools/call local.pid')!;
    expect(denied.attributes).toMatchObject({
      'error.type': 'SWY_POLICY_DENIED',
      'switchyard.policy.decision': 'deny:no-pid',
    });
    expect(denied.status.code).toBe(2); // ERROR
    expect(spans.some((s) => s.kind === SpanKind.CLIENT && s.name === 'tools/call pid')).toBe(false);
  });
});

describe('OTLP export', () => {
  it('sends spans to telemetry.otlpEndpoint (flushed on stop)', async () => {
    const received: { path?: string; type?: string; bytes: number }[] = [];
    const collector = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => (bytes += d.length));
      req.on('end', () => {
        received.push({ path: req.url, type: req.headers['content-type'], bytes });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const port = (collector.address() as AddressInfo).port;
    const gateway = createGateway(
      {
        store: 'sqlite::memory:',
        server: { port: 0 },
        reload: { watch: false },
        telemetry: { otlpEndpoint: `http://127.0.0.1:${port}/v1/traces` },
        upstreams: [],
      },
      { logger: silentLogger() },
    );
    await gateway.start();
    await gateway.core.upstreamsStarted();
    const { client } = await connect(gateway.url!);
    await client.listTools();
    await client.close();
    await gateway.stop();
    await new Promise<void>((r) => collector.close(() => r()));
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]).toMatchObject({ path: '/v1/traces' });
    expect(received[0]!.bytes).toBeGreaterThan(0);
  });
});

describe('traces: agents', () => {
  const exporter = new InMemorySpanExporter();
  let gateway: Gateway;
  let client: Client;
  let model: ScriptedModel;
  beforeAll(async () => {
    model = await startScriptedModel();
    gateway = createGateway(
      {
        store: 'sqlite::memory:',
        server: { port: 0 },
        reload: { watch: false },
        upstreams: [{ name: 'local', mcp: stdioFixture('local') }],
        models: [{ name: 'scripted', openai: { baseUrl: model.url, model: 'scripted-1' } }],
        agents: [{ name: 'helper', model: 'scripted', tools: ['local.echo'], temperature: 0.2 }],
      },
      { logger: silentLogger(), traceExporter: exporter },
    );
    await gateway.start();
    await gateway.core.upstreamsStarted();
    ({ client } = await connect(gateway.url!));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await model?.close();
  });

  it('traces a run: invoke_agent under the request, a chat span per turn, the tool call under the run', async () => {
    model.script(
      { toolCalls: [{ name: 'local_echo', arguments: { text: 'x' } }], usage: { prompt: 10, completion: 3 } },
      { text: 'done', usage: { prompt: 20, completion: 2 } },
    );
    await client.callTool({ name: 'agent.helper', arguments: { message: 'go' } });
    const spans = exporter.getFinishedSpans();
    const byName = (n: string) => spans.filter((s) => s.name === n);
    const request = byName('tools/call agent.helper')[0]!;
    const run = byName('invoke_agent helper')[0]!;
    const chats = byName('chat scripted-1');
    const tool = byName('tools/call local.echo')[0]!;
    expect(run.spanContext().traceId).toBe(request.spanContext().traceId);
    // The run hangs under the request's call into the agents backend.
    const backendCall = spans.find((s) => s.spanContext().spanId === run.parentSpanContext?.spanId)!;
    expect(backendCall.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(run.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'helper',
      'gen_ai.request.model': 'scripted',
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 5,
    });
    expect(chats).toHaveLength(2);
    for (const c of chats) expect(c.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(chats[0]!.kind).toBe(SpanKind.CLIENT);
    expect(chats[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'scripted-1',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.response.finish_reasons': ['tool_calls'],
    });
    expect(tool.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(tool.attributes).toMatchObject({
      'gen_ai.agent.name': 'helper',
      'gen_ai.tool.name': 'local.echo',
    });
  });

  it('traces an A2A request to an agent: the run is a child of the request span', async () => {
    exporter.reset();
    model.script({ text: 'hello over A2A' });
    const a2a = await a2aClient(`${gateway.url!.replace(/\/mcp$/, '')}/a2a/helper`);
    await a2a.sendMessage(sendParams([textPart('hi')]));
    await expect
      .poll(() => exporter.getFinishedSpans().some((s) => s.name === 'SendMessage helper'), { timeout: 5000 })
      .toBe(true);
    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'SendMessage helper')!;
    const run = spans.find((s) => s.name === 'invoke_agent helper')!;
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.attributes).toMatchObject({
      'switchyard.a2a.agent': 'helper',
      'switchyard.outcome': 'ok',
    });
    expect(run.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
  });
});
