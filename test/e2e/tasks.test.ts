/**
 * MCP tasks (2025-11-25, experimental) through the gateway, against the reference server
 * (server-everything's `simulate-research-query`, a task-only tool): task ids carry their
 * upstream, each session sees only its own tasks, and task-related elicitation reaches the
 * session that owns the task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  ElicitRequestSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING } from '../support/fixtures.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';

describe('tasks', () => {
  let gw: TestGateway;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    gw = await startGateway({
      upstreams: [{ name: 'everything', mcp: { command: process.execPath, args: [EVERYTHING, 'stdio'] } }],
    });
    ({ client: alice } = await connect(gw.url, { elicitation: {} }, 'alice'));
    ({ client: bob } = await connect(gw.url, {}, 'bob'));
    alice.setRequestHandler(ElicitRequestSchema, async (req) => {
      const { requestedSchema: schema } = req.params as unknown as {
        requestedSchema: { properties: { interpretation: { oneOf: { const: string }[] } } };
      };
      return {
        action: 'accept',
        content: { interpretation: schema.properties.interpretation.oneOf[0]!.const },
      };
    });
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await gw?.stop();
  });

  const start = (client: Client, args: Record<string, unknown>) =>
    client.request(
      {
        method: 'tools/call',
        params: { name: 'everything.simulate-research-query', arguments: args, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    );

  it('advertises task-augmented tools/call, list and cancel', () => {
    expect(alice.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
  });

  it('runs a task to completion: create, get, result, list', async () => {
    const created = await start(alice, { topic: 'gateways' });
    const taskId = created.task.taskId;
    expect(taskId).toMatch(/^everything:/);
    const got = await alice.request({ method: 'tasks/get', params: { taskId } }, GetTaskResultSchema);
    expect(got).toMatchObject({ taskId, status: expect.stringMatching(/working|completed/) });
    const listed = await alice.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(listed.tasks.map((t) => t.taskId)).toContain(taskId);
    const result = await alice.request({ method: 'tasks/result', params: { taskId } }, CallToolResultSchema, {
      timeout: 30_000,
    });
    expect(JSON.stringify(result.content)).toContain('gateways');
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId });
  });

  it('keeps tasks private to the session that created them', async () => {
    const { task } = await start(alice, { topic: 'privacy' });
    await expect(
      bob.request({ method: 'tasks/get', params: { taskId: task.taskId } }, GetTaskResultSchema),
    ).rejects.toThrow(/unknown task/);
    const bobs = await bob.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(bobs.tasks).toEqual([]);
    const cancelled = await alice.request(
      { method: 'tasks/cancel', params: { taskId: task.taskId } },
      CancelTaskResultSchema,
    );
    expect(cancelled).toMatchObject({ taskId: task.taskId, status: 'cancelled' });
  });

  it('routes task-related elicitation to the owner of the task', async () => {
    const { task } = await start(alice, { topic: 'python', ambiguous: true });
    const result = await alice.request(
      { method: 'tasks/result', params: { taskId: task.taskId } },
      CallToolResultSchema,
      {
        timeout: 30_000,
      },
    );
    expect(JSON.stringify(result.content)).toContain('After receiving clarification (\\"programming\\")');
  });
});
