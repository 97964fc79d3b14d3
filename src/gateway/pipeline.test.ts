import { beforeEach, describe, expect, it } from 'vitest';
import {
  ALICE,
  fakeBackend,
  fakeCore,
  fakeSession,
  tool,
  type FakeBackend,
  type FakeCore,
} from '../../test/support/fakes.js';
import { ERRORS } from '../errors/catalogue.js';
import { GatewayError } from '../errors/index.js';
import type { RpcNotification, RpcRequest, RpcResponse } from '../mcp/jsonrpc.js';
import type { Reply, Session } from '../mcp/session.js';
import { CallCancelled, Cancellation, type CallOutcome } from '../mcp/upstream/forwarder.js';
import { Pipeline } from './pipeline.js';

/** A reply that keeps what the pipeline sent back. */
function recordingReply() {
  const got: { related: (RpcNotification | RpcRequest)[]; responses: RpcResponse[]; cancelled: number } = {
    related: [],
    responses: [],
    cancelled: 0,
  };
  const reply: Reply = {
    related: (m) => void got.related.push(m),
    respond: (m) => void got.responses.push(m),
    cancelled: () => void got.cancelled++,
  };
  return { reply, got };
}

const call = (id: number, name: string, args: Record<string, unknown> = {}): RpcRequest => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** The catalogue's JSON-RPC error for a code, as a client sees it. */
const wireError = (code: keyof typeof ERRORS) => ({
  code: ERRORS[code].rpc,
  data: expect.objectContaining({ code }),
});

describe('Pipeline.request', () => {
  let docs: FakeBackend;
  let core: FakeCore;
  let pipeline: Pipeline;
  let session: Session;

  beforeEach(() => {
    docs = fakeBackend('docs', {
      tools: [
        tool('search', { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }),
        tool('fetch'),
      ],
    });
    core = fakeCore([docs]);
    pipeline = new Pipeline(core);
    session = fakeSession();
  });

  async function send(msg: RpcRequest) {
    const { reply, got } = recordingReply();
    await pipeline.request(session, msg, reply, ALICE);
    return got;
  }

  it('routes, authorizes, calls the upstream under its own name, answers under the client’s id and records it', async () => {
    docs.answer = async () => ({ result: { content: [{ type: 'text', text: 'found' }], extra: 1 } });
    const got = await send(call(7, 'docs.search', { q: 'gateways' }));

    expect(docs.calls).toHaveLength(1);
    expect(docs.calls[0]!.method).toBe('tools/call');
    expect(docs.calls[0]!.params).toEqual({ name: 'search', arguments: { q: 'gateways' } });
    expect(docs.calls[0]!.opts.caller).toMatchObject({ principal: ALICE, depth: 0 });
    expect(got.responses).toEqual([
      { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'found' }], extra: 1 } },
    ]);
    expect(session.inFlight.size).toBe(0);

    expect(core.records).toHaveLength(1);
    expect(core.records[0]).toMatchObject({
      transport: 'http',
      session: session.id,
      method: 'tools/call',
      rpcId: 7,
      principal: 'alice',
      target: 'docs.search',
      upstream: 'docs',
      upstreamTarget: 'search',
      args: { q: 'gateways' },
      decision: { effect: 'allow', rule: 'policies[1]' },
      definitionHash: 'sha256:docs/search',
      outcome: 'ok',
    });
    expect(core.records[0]!.errorCode).toBeUndefined();
    expect(core.records[0]!.durationMs).toEqual(expect.any(Number));
    // The same record is the ledger entry.
    expect(core.ledgerEntries).toEqual([
      expect.objectContaining({
        front: 'mcp',
        principal: 'alice',
        method: 'tools/call',
        upstream: 'docs',
        target: 'docs.search',
        outcome: 'ok',
        decision: { effect: 'allow', rule: 'policies[1]' },
      }),
    ]);
  });

  it('refuses a call policy denies, without reaching the upstream, and records the decision', async () => {
    core.denied.add('tool:docs.search');
    const got = await send(call(1, 'docs.search', { q: 'x' }));
    expect(docs.calls).toHaveLength(0);
    expect(got.responses).toEqual([
      { jsonrpc: '2.0', id: 1, error: expect.objectContaining(wireError('SWY_POLICY_DENIED')) },
    ]);
    expect(core.records[0]).toMatchObject({
      target: 'docs.search',
      upstream: 'docs',
      outcome: 'error',
      errorCode: 'SWY_POLICY_DENIED',
      decision: { effect: 'deny', rule: 'policies[0] (tool docs.search)' },
    });
  });

  it('answers an unknown tool with SWY_TOOL_NOT_FOUND and records it', async () => {
    const got = await send(call(2, 'docs.nothing'));
    expect(docs.calls).toHaveLength(0);
    expect(got.responses[0]).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: expect.objectContaining(wireError('SWY_TOOL_NOT_FOUND')),
    });
    expect(got.responses[0]!).toHaveProperty('error.message', expect.stringContaining('docs.nothing'));
    expect(core.records[0]).toMatchObject({
      method: 'tools/call',
      outcome: 'error',
      errorCode: 'SWY_TOOL_NOT_FOUND',
    });
    expect(core.records[0]!.upstream).toBeUndefined();
  });

  it('maps a failed upstream call to its catalogue code, naming the upstream', async () => {
    docs.answer = () =>
      Promise.reject(
        new GatewayError('SWY_UPSTREAM_TIMEOUT', { upstream: 'docs', method: 'tools/call', timeoutMs: 800 }),
      );
    const got = await send(call(3, 'docs.fetch'));
    expect(got.responses[0]).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: {
        code: ERRORS.SWY_UPSTREAM_TIMEOUT.rpc,
        message: 'Upstream "docs" did not answer tools/call within 800 ms',
        data: expect.objectContaining({ code: 'SWY_UPSTREAM_TIMEOUT', upstream: 'docs' }),
      },
    });
    expect(core.records[0]).toMatchObject({
      upstream: 'docs',
      outcome: 'error',
      errorCode: 'SWY_UPSTREAM_TIMEOUT',
    });
  });

  it('never turns an internal failure into a client-fault code', async () => {
    docs.answer = () => Promise.reject(new TypeError('a bug in a transport'));
    const got = await send(call(4, 'docs.fetch'));
    expect(got.responses[0]).toMatchObject({ id: 4, error: wireError('SWY_INTERNAL') });
    expect(JSON.stringify(got.responses[0])).not.toContain('a bug in a transport');
    expect(core.records[0]).toMatchObject({ outcome: 'error', errorCode: 'SWY_INTERNAL' });
  });

  it('passes an upstream’s own JSON-RPC error on unchanged', async () => {
    const error = { code: -32602, message: 'bad page', data: { page: 9 } };
    docs.answer = async (): Promise<CallOutcome> => ({ error });
    const got = await send(call(5, 'docs.fetch'));
    expect(got.responses).toEqual([{ jsonrpc: '2.0', id: 5, error }]);
    expect(core.records[0]).toMatchObject({ outcome: 'upstream_error', errorCode: '-32602' });
  });

  it('answers invalid arguments as a tool error without forwarding them', async () => {
    const got = await send(call(6, 'docs.search', { q: 42 }));
    expect(docs.calls).toHaveLength(0);
    expect(got.responses[0]).toMatchObject({ id: 6, result: { isError: true } });
    expect(core.records[0]).toMatchObject({ outcome: 'error', errorCode: 'SWY_INVALID_ARGUMENTS' });
  });

  it('refuses a quarantined tool', async () => {
    core.quarantined.add('docs/fetch');
    const got = await send(call(8, 'docs.fetch'));
    expect(docs.calls).toHaveLength(0);
    expect(got.responses[0]).toMatchObject({ id: 8, error: wireError('SWY_TOOL_QUARANTINED') });
    expect(core.records[0]).toMatchObject({ outcome: 'error', errorCode: 'SWY_TOOL_QUARANTINED' });
  });

  it('refuses new work while draining', async () => {
    core.draining = true;
    const got = await send(call(9, 'docs.fetch'));
    expect(docs.calls).toHaveLength(0);
    expect(got.responses[0]).toMatchObject({ id: 9, error: wireError('SWY_SHUTTING_DOWN') });
    expect(core.records[0]).toMatchObject({ outcome: 'error', errorCode: 'SWY_SHUTTING_DOWN' });
  });

  it('answers lists itself, still recording the request', async () => {
    const got = await send({ jsonrpc: '2.0', id: 10, method: 'tools/list', params: {} });
    expect(docs.calls).toHaveLength(0);
    expect(got.responses).toEqual([{ jsonrpc: '2.0', id: 10, result: { answeredLocally: 'tools/list' } }]);
    expect(core.records[0]).toMatchObject({ method: 'tools/list', outcome: 'ok' });
    expect(core.records[0]!.upstream).toBeUndefined();
  });

  it('relays progress on the call’s reply, and a client cancellation stops the call without an answer', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    docs.answer = (_m, _p, opts) =>
      new Promise<CallOutcome>((_resolve, reject) => {
        opts.related!.progress({ progressToken: 'client-token', progress: 1 });
        opts.cancellation!.onCancel((reason) => reject(new CallCancelled(reason)));
        started();
      });
    const { reply, got } = recordingReply();
    const done = pipeline.request(session, call(11, 'docs.fetch'), reply, ALICE);
    await running;
    expect(got.related).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'client-token', progress: 1 },
      },
    ]);
    pipeline.notification(session, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 11, reason: 'stop' },
    });
    await done;
    expect(got.responses).toEqual([]);
    expect(got.cancelled).toBe(1);
    expect(core.records[0]).toMatchObject({ outcome: 'cancelled', upstream: 'docs' });
    expect(session.inFlight.size).toBe(0);
  });
});

describe('Pipeline.callTool', () => {
  it('runs a bridged call through the same route, authorize and record steps', async () => {
    const docs = fakeBackend('docs', { tools: [tool('fetch')] });
    const core = fakeCore([docs]);
    core.denied.add('tool:docs.fetch');
    const pipeline = new Pipeline(core);
    const related = { progress: () => {}, notification: () => {}, request: async () => ({ result: {} }) };
    await expect(
      pipeline.callTool(
        ALICE,
        'docs.fetch',
        {},
        { related, cancellation: new Cancellation(), context: 'ctx' },
      ),
    ).rejects.toMatchObject({ code: 'SWY_POLICY_DENIED' });
    expect(docs.calls).toHaveLength(0);
    expect(core.records[0]).toMatchObject({
      transport: 'a2a',
      session: 'ctx',
      principal: 'alice',
      upstream: 'docs',
      outcome: 'error',
      errorCode: 'SWY_POLICY_DENIED',
    });
  });
});
