/**
 * OpenTelemetry traces: one SERVER span per MCP request (from the request record, like the metrics
 * and the ledger) and a CLIENT span around each upstream call, with attributes after the MCP and
 * GenAI semantic conventions (`mcp.method.name`, `mcp.session.id`, `jsonrpc.request.id`,
 * `gen_ai.tool.name`, `gen_ai.operation.name`, `error.type`). A declared agent's run is an
 * `invoke_agent` span with a `chat` span per model turn and a span per tool call it makes. Spans are exported over OTLP/HTTP
 * when `telemetry.otlpEndpoint` is set (or to an exporter given by an embedding application);
 * otherwise tracing is off and costs nothing on the hot path.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { BasicTracerProvider, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/schema.js';
import type { RequestRecord } from '../gateway/request-record.js';
import { VERSION } from '../version.js';

export class Tracing {
  private constructor(
    private readonly tracer: Tracer,
    private readonly provider: BasicTracerProvider,
  ) {}

  /** Tracing as configured; undefined when neither an endpoint nor an exporter is given. */
  static async create(config: Config, exporter?: SpanExporter): Promise<Tracing | undefined> {
    const endpoint = config.telemetry.otlpEndpoint;
    if (!exporter && !endpoint) return undefined;
    // The SDK is loaded only when tracing is on: a gateway without it starts without it.
    const [{ BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }] =
      await Promise.all([import('@opentelemetry/sdk-trace-base'), import('@opentelemetry/resources')]);
    let processor: SpanProcessor;
    if (exporter) processor = new SimpleSpanProcessor(exporter);
    else if (endpoint) {
      // Loaded only when configured.
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }));
    } else return undefined;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': config.telemetry.serviceName,
        'service.version': VERSION,
      }),
      spanProcessors: [processor],
    });
    return new Tracing(provider.getTracer('switchyard', VERSION), provider);
  }

  /**
   * The incoming span, opened when the request is accepted. A call a declared agent makes is a
   * child of the agent's span (`parent`) instead.
   */
  startRequest(rec: RequestRecord, parent?: Span): Span {
    return this.tracer.startSpan(
      rec.method,
      {
        kind: parent ? SpanKind.INTERNAL : SpanKind.SERVER,
        attributes: {
          'mcp.method.name': rec.method,
          ...(rec.session ? { 'mcp.session.id': rec.session } : {}),
          ...(rec.rpcId !== null && !parent ? { 'jsonrpc.request.id': String(rec.rpcId) } : {}),
          ...(parent ? {} : { 'network.transport': rec.transport === 'stdio' ? 'pipe' : 'tcp' }),
          ...(rec.agent ? { 'gen_ai.agent.name': rec.agent } : {}),
        },
      },
      parent ? trace.setSpan(ROOT_CONTEXT, parent) : undefined,
    );
  }

  /** The incoming span of an A2A request (named `<operation> <agent>` when it ends). */
  startA2a(rec: RequestRecord): Span {
    return this.tracer.startSpan(rec.method, {
      kind: SpanKind.SERVER,
      attributes: { 'switchyard.a2a.agent': rec.target ?? '', 'network.transport': 'tcp' },
    });
  }

  /**
   * A declared agent's run (GenAI semantic conventions: `invoke_agent`), a child of the request
   * that asked for it when there is one.
   */
  startAgent(
    parent: Span | undefined,
    a: { agent: string; model: string; contextId: string; depth: number },
  ): Span {
    return this.tracer.startSpan(
      `invoke_agent ${a.agent}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.name': a.agent,
          'gen_ai.conversation.id': a.contextId,
          'gen_ai.request.model': a.model,
          'switchyard.agent.depth': a.depth,
        },
      },
      parent ? trace.setSpan(ROOT_CONTEXT, parent) : undefined,
    );
  }

  /** One model turn (`chat`), a child of the agent's span. */
  startChat(
    parent: Span,
    c: { provider: string; model: string; temperature?: number; maxTokens?: number },
  ): Span {
    return this.tracer.startSpan(
      `chat ${c.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': c.provider,
          'gen_ai.request.model': c.model,
          ...(c.temperature !== undefined ? { 'gen_ai.request.temperature': c.temperature } : {}),
          ...(c.maxTokens !== undefined ? { 'gen_ai.request.max_tokens': c.maxTokens } : {}),
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
  }

  /** Close a `chat` or `invoke_agent` span: token usage, why it stopped, or the error. */
  endGenAi(
    span: Span,
    r: { usage?: { promptTokens: number; completionTokens: number }; finishReason?: string; error?: string },
  ): void {
    if (r.usage) {
      span.setAttribute('gen_ai.usage.input_tokens', r.usage.promptTokens);
      span.setAttribute('gen_ai.usage.output_tokens', r.usage.completionTokens);
    }
    if (r.finishReason) span.setAttribute('gen_ai.response.finish_reasons', [r.finishReason]);
    if (r.error) {
      span.setAttribute('error.type', r.error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: r.error });
    }
    span.end();
  }

  /** The outgoing span around an upstream call, a child of the request's span. */
  startUpstream(parent: Span, rec: RequestRecord): Span {
    // An explicit parent: no global context manager is registered (an embedding app may have its own).
    const ctx = trace.setSpan(ROOT_CONTEXT, parent);
    return this.tracer.startSpan(
      `${rec.method} ${rec.upstreamTarget ?? ''}`.trim(),
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'mcp.method.name': rec.method,
          'switchyard.upstream': rec.upstream ?? '',
          ...(rec.method === 'tools/call' && rec.upstreamTarget
            ? { 'gen_ai.tool.name': rec.upstreamTarget }
            : {}),
        },
      },
      ctx,
    );
  }

  /** Close the request's span with what the record says happened. */
  endRequest(span: Span, rec: RequestRecord): void {
    if (rec.target) span.updateName(`${rec.method} ${rec.target}`);
    const a: Record<string, string | number> = {};
    if (rec.method === 'tools/call') {
      a['gen_ai.operation.name'] = 'execute_tool';
      if (rec.target) a['gen_ai.tool.name'] = rec.target;
    }
    if (rec.upstream) a['switchyard.upstream'] = rec.upstream;
    if (rec.principal) a['switchyard.principal'] = rec.principal;
    if (rec.decision) a['switchyard.policy.decision'] = `${rec.decision.effect}:${rec.decision.rule}`;
    if (rec.definitionHash) a['switchyard.tool.definition_hash'] = rec.definitionHash;
    a['switchyard.outcome'] = rec.outcome ?? 'ok';
    if (rec.errorCode) {
      a['error.type'] = rec.errorCode;
      span.setStatus({ code: SpanStatusCode.ERROR, message: rec.errorCode });
    }
    span.setAttributes(a);
    span.end();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
