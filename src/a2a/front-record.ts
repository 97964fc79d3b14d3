/**
 * The request record of an A2A request: opened when the request has found its agent, filled as
 * it goes, and turned into metrics, the ledger entry and the debug line when the response ends.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pipeline } from '../gateway/pipeline.js';
import { newRecord, type RequestRecord } from '../gateway/request-record.js';
import type { Principal } from '../policy/principal.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Tracing } from '../telemetry/traces.js';
import type { AgentEntry } from './front-agents.js';
import { restOperation } from './front-request.js';

/** What recording needs of the gateway. */
export interface A2aRecordDeps {
  readonly pipeline: Pick<Pipeline, 'recordA2a'>;
  readonly metrics: Metrics;
  readonly tracing: Tracing | undefined;
}

/**
 * Open the record of a request to `agent` (its operation named by the REST route until a JSON-RPC
 * body says otherwise) and close it when the response does.
 */
export function openRecord(
  deps: A2aRecordDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agent: AgentEntry,
  sub: string,
  principal: Principal | undefined,
): RequestRecord {
  const rec = newRecord('a2a', undefined, restOperation(req.method ?? 'GET', sub), 0);
  rec.target = agent.name;
  rec.upstream = agent.kind === 'group' ? undefined : agent.upstream;
  if (principal) rec.principal = principal.name;
  if (deps.tracing) rec.span = deps.tracing.startA2a(rec);
  res.once('close', () => {
    rec.outcome = res.statusCode < 400 ? 'ok' : res.statusCode < 500 ? 'error' : 'upstream_error';
    if (res.statusCode >= 400) rec.errorCode = `HTTP ${res.statusCode}`;
    const status = `${Math.floor(res.statusCode / 100)}xx`;
    deps.metrics.a2aRequests.labels(agent.name, rec.method, status).inc();
    deps.metrics.a2aDuration.labels(agent.name, rec.method).observe((performance.now() - rec.start) / 1000);
    deps.pipeline.recordA2a(rec);
  });
  return rec;
}
