/**
 * An agent on the embedded llama.cpp engine, end to end: a tiny random-weight GGUF built at test
 * time (test/support/gguf.ts), loaded by node-llama-cpp inside the gateway, answering over A2A
 * (streamed) and as the MCP tool. Random weights say nothing sensible; what is checked is that
 * the engine path runs, streams, stops at maxTokens and reports usage.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState } from '@a2a-js/sdk';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { a2aClient, sendParams, textPart } from '../support/a2a-client.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { tinyLlamaGguf } from '../support/gguf.js';

const ENGINE = 'node-llama-cpp';
const engineInstalled = await import(ENGINE).then(
  () => true,
  () => false,
);
if (!engineInstalled && process.env.CI) throw new Error('CI needs node-llama-cpp: npm run engine:install');

describe.skipIf(!engineInstalled)('agents: the embedded engine', () => {
  let dir: string;
  let gw: TestGateway;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-embedded-'));
    const modelPath = join(dir, 'tiny.gguf');
    await writeFile(modelPath, tinyLlamaGguf());
    gw = await startGateway({
      // One thread: on two cores, llama.cpp's workers would spin against the test runner's.
      models: [
        {
          name: 'tiny',
          llamacpp: { modelPath, contextSize: 512, threads: 1, gpuLayers: 0 },
          contextWindow: 512,
        },
      ],
      agents: [
        { name: 'tiny-agent', model: 'tiny', instructions: 'Say something.', maxSteps: 1, maxTokens: 12 },
      ],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers as the MCP tool agent.tiny-agent, with token usage', async () => {
    const { client } = await connect(gw.url);
    const result = CallToolResultSchema.parse(
      await client.callTool({ name: 'agent.tiny-agent', arguments: { message: 'hello' } }),
    );
    await client.close();
    expect(result.isError).toBeFalsy();
    const text = (result.content[0] as { text: string }).text;
    expect(text.length).toBeGreaterThan(0);
    const meta = result._meta?.['dev.switchyard/agent'] as {
      model: string;
      usage: { completionTokens: number; promptTokens: number };
    };
    expect(meta.model).toBe('tiny');
    expect(meta.usage.completionTokens).toBeGreaterThan(0);
    expect(meta.usage.completionTokens).toBeLessThanOrEqual(12);
    expect(meta.usage.promptTokens).toBeGreaterThan(0);
  });

  it('streams its answer to an A2A client', async () => {
    const client = await a2aClient(`${gw.url.replace(/\/mcp$/, '')}/a2a/tiny-agent`);
    let pieces = 0;
    let state: TaskState | undefined;
    for await (const ev of client.sendMessageStream(sendParams([textPart('hello again')]))) {
      if (ev.payload?.$case === 'artifactUpdate' && !ev.payload.value.lastChunk) pieces++;
      if (ev.payload?.$case === 'statusUpdate') state = ev.payload.value.status?.state;
    }
    expect(state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(pieces).toBeGreaterThan(1);
  });
});
