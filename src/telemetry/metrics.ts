/**
 * Prometheus metrics (prom-client), fed from request records and upstream state.
 *
 * Labels stay bounded (labels.ts): a method is a known MCP method or A2A operation, else "other";
 * upstreams come from config, tools from the route table (a name the route table does not know is
 * not labelled), and every value is cut to a bounded length. Principals are never labels.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestRecord } from '../gateway/request-record.js';
import { capped, methodLabel } from './labels.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'upstream' | 'tool' | 'outcome'>;
  private readonly duration: Histogram<'method' | 'upstream' | 'tool'>;
  readonly upstreamUp: Gauge<'upstream'>;
  readonly upstreamRestarts: Counter<'upstream'>;
  readonly sessions: Gauge;
  readonly sessionsEvicted: Counter;
  readonly sseDropped: Counter;
  readonly collisions: Gauge;
  /** A2A requests to the agents the gateway serves, by agent, operation and HTTP status class. */
  readonly a2aRequests: Counter<'agent' | 'operation' | 'status'>;
  readonly a2aDuration: Histogram<'agent' | 'operation'>;
  /** A2A requests to proxied agents relayed as bytes (a2a/relay.ts). */
  readonly a2aRelayed: Counter<'agent' | 'operation'>;
  /** Runs of declared agents, model turns, tokens and time waiting for models. */
  readonly agentRuns: Counter<'agent' | 'outcome'>;
  readonly agentSteps: Counter<'agent'>;
  readonly agentTokens: Counter<'agent' | 'model' | 'kind'>;
  readonly modelDuration: Histogram<'model'>;
  readonly ledgerRefused: Counter;
  readonly policyDenials: Counter<'kind'>;
  readonly quarantines: Counter;
  readonly rateLimited: Counter<'limit'>;
  private readonly children = new Map<
    string,
    { count: Counter.Internal; dur: Histogram.Internal<'method' | 'upstream' | 'tool'> }
  >();

  constructor(opts: { defaults?: boolean } = {}) {
    if (opts.defaults ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
    this.requests = new Counter({
      name: 'switchyard_mcp_requests_total',
      help: 'MCP requests handled, by method, upstream, tool and outcome (ok, error, upstream_error, cancelled).',
      labelNames: ['method', 'upstream', 'tool', 'outcome'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'switchyard_mcp_request_duration_seconds',
      help: 'Time from receiving an MCP request to sending its answer.',
      labelNames: ['method', 'upstream', 'tool'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
    this.upstreamUp = new Gauge({
      name: 'switchyard_upstream_up',
      help: '1 when the upstream is connected and ready, else 0.',
      labelNames: ['upstream'],
      registers: [this.registry],
    });
    this.upstreamRestarts = new Counter({
      name: 'switchyard_upstream_connection_losses_total',
      help: 'Times an upstream connection was lost (crash, failed health checks, expired session).',
      labelNames: ['upstream'],
      registers: [this.registry],
    });
    this.sessions = new Gauge({
      name: 'switchyard_mcp_sessions',
      help: 'Downstream MCP sessions held by this process.',
      registers: [this.registry],
    });
    this.sessionsEvicted = new Counter({
      name: 'switchyard_mcp_sessions_evicted_total',
      help: 'MCP sessions closed because their principal opened more than server.maxSessionsPerPrincipal (the least recently used goes).',
      registers: [this.registry],
    });
    this.sseDropped = new Counter({
      name: 'switchyard_sse_clients_dropped_total',
      help: 'SSE connections closed because the client stopped reading (more than server.maxStreamBufferBytes waiting); it may resume with Last-Event-ID.',
      registers: [this.registry],
    });
    this.policyDenials = new Counter({
      name: 'switchyard_policy_denials_total',
      help: 'Requests denied by policy, by target kind (tool, prompt, resource, agent, skill).',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    this.rateLimited = new Counter({
      name: 'switchyard_rate_limited_total',
      help: 'Requests refused by a rate limit or quota, by limit name.',
      labelNames: ['limit'],
      registers: [this.registry],
    });
    this.quarantines = new Counter({
      name: 'switchyard_tool_quarantines_total',
      help: 'Tools quarantined because their upstream changed a pinned definition.',
      registers: [this.registry],
    });
    this.ledgerRefused = new Counter({
      name: 'switchyard_ledger_refused_total',
      help: 'Ledger records refused because the write queue was full (their requests were refused too).',
      registers: [this.registry],
    });
    this.collisions = new Gauge({
      name: 'switchyard_name_collisions',
      help: 'Federated names that collided and were renamed (see the log for which).',
      registers: [this.registry],
    });
    this.a2aRequests = new Counter({
      name: 'switchyard_a2a_requests_total',
      help: 'A2A requests to the agents served at /a2a/<name>, by agent, operation and HTTP status class (2xx, 4xx, 5xx).',
      labelNames: ['agent', 'operation', 'status'],
      registers: [this.registry],
    });
    this.a2aRelayed = new Counter({
      name: 'switchyard_a2a_relayed_total',
      help: "A2A requests to proxied agents relayed as bytes (the client's binding and version were the agent's), by agent and operation.",
      labelNames: ['agent', 'operation'],
      registers: [this.registry],
    });
    this.a2aDuration = new Histogram({
      name: 'switchyard_a2a_request_duration_seconds',
      help: 'Time from receiving an A2A request to the end of its response (streams included).',
      labelNames: ['agent', 'operation'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
    this.agentRuns = new Counter({
      name: 'switchyard_agent_runs_total',
      help: 'Runs of declared agents (one per message), by agent and outcome (answer, max_steps, error, cancelled).',
      labelNames: ['agent', 'outcome'],
      registers: [this.registry],
    });
    this.agentSteps = new Counter({
      name: 'switchyard_agent_steps_total',
      help: 'Model turns taken by declared agents.',
      labelNames: ['agent'],
      registers: [this.registry],
    });
    this.agentTokens = new Counter({
      name: 'switchyard_agent_tokens_total',
      help: 'Tokens used by declared agents, as the model server reported them (kind: prompt, completion).',
      labelNames: ['agent', 'model', 'kind'],
      registers: [this.registry],
    });
    this.modelDuration = new Histogram({
      name: 'switchyard_model_wait_seconds',
      help: 'Time agents spent waiting for their model in one run (all turns).',
      labelNames: ['model'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
  }

  record(r: RequestRecord): void {
    const method = methodLabel(r.method);
    const upstream = capped(r.upstream ?? '');
    const tool = r.method === 'tools/call' && r.upstream ? capped(r.target ?? '') : '';
    const key = `${method}\u0000${upstream}\u0000${tool}\u0000${r.outcome}`;
    let c = this.children.get(key);
    if (!c) {
      c = {
        count: this.requests.labels(method, upstream, tool, r.outcome ?? 'ok'),
        dur: this.duration.labels(method, upstream, tool),
      };
      this.children.set(key, c);
    }
    c.count.inc();
    c.dur.observe((r.durationMs ?? 0) / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
