#!/usr/bin/env node
/**
 * The A2A agent for the benchmark, built with the official A2A SDK (Express, JSON-RPC): every
 * message is answered with a completed task whose artifact echoes the text. Prints
 * `listening <url>` once ready.
 *
 *   node bench/a2a-agent.mjs --port 0
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { TaskState } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import express from 'express';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
let base = 'http://127.0.0.1';
const card = () => ({
  name: 'Bench echo agent',
  description: 'Echoes the text of a message as a completed task.',
  supportedInterfaces: [
    { url: `${base}/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
  ],
  provider: undefined,
  version: '1.0.0',
  capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
  securitySchemes: {},
  securityRequirements: [],
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [
    {
      id: 'echo',
      name: 'Echo',
      description: 'Echo',
      tags: [],
      examples: [],
      inputModes: [],
      outputModes: [],
      securityRequirements: [],
    },
  ],
  signatures: [],
});

const executor = {
  async execute(ctx, bus) {
    const text = ctx.userMessage.parts
      .map((p) => (p.content?.$case === 'text' ? p.content.value : ''))
      .join('');
    const now = new Date().toISOString();
    bus.publish(
      AgentEvent.task({
        id: ctx.taskId,
        contextId: ctx.contextId,
        status: { state: TaskState.TASK_STATE_COMPLETED, timestamp: now, message: undefined },
        artifacts: [
          {
            artifactId: randomUUID(),
            name: 'echo',
            description: '',
            parts: [
              {
                content: { $case: 'text', value: text },
                mediaType: 'text/plain',
                filename: '',
                metadata: undefined,
              },
            ],
            metadata: undefined,
            extensions: [],
          },
        ],
        history: [],
        metadata: undefined,
      }),
    );
    bus.finished();
  },
  async cancelTask() {},
};

const handler = new DefaultRequestHandler(card(), new InMemoryTaskStore(), executor);
const live = new Proxy(handler, {
  get: (t, p, r) =>
    p === 'getAgentCard'
      ? () => Promise.resolve(card())
      : (Reflect.get(t, p, r)?.bind?.(t) ?? Reflect.get(t, p, r)),
});
const app = express();
app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: live }));
app.use('/jsonrpc', jsonRpcHandler({ requestHandler: live, userBuilder: UserBuilder.noAuthentication }));
const server = app.listen(Number(values.port), '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  console.log(`listening ${base}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
