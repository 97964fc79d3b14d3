/**
 * Federation end to end: the official SDK client → the gateway → real upstream servers
 * (server-everything over stdio, the fixture over stdio and over Streamable HTTP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { adminFetch, connect, startGateway, type TestGateway } from '../support/gateway.js';
import { EVERYTHING, startHttpFixture, stdioFixture, type HttpFixture } from '../support/fixtures.js';

describe('federation through the gateway', () => {
  let http: HttpFixture;
  let sse: HttpFixture;
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    http = await startHttpFixture('remote');
    sse = await startHttpFixture('legacy', 'sse');
    gw = await startGateway({
      upstreams: [
        { name: 'everything', mcp: { command: process.execPath, args: [EVERYTHING, 'stdio'] } },
        { name: 'local', mcp: stdioFixture('local') },
        { name: 'remote', mcp: { url: http.url } },
        { name: 'legacy', mcp: { url: sse.url, transport: 'sse' } },
      ],
    });
    ({ client } = await connect(gw.url, { sampling: {}, elicitation: {}, roots: { listChanged: true } }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: 'file:///work', name: 'work' }],
    }));
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: `you said ${JSON.stringify(req.params.messages[0]?.content)}` },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { color: 'blue' },
    }));
  });

  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    await http?.stop();
    await sse?.stop();
  });

  it('lists the tools of every upstream under prefixed names', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('everything.echo');
    expect(names).toContain('local.echo');
    expect(names).toContain('remote.echo');
    expect(names.every((n) => /^[A-Za-z0-9_.-]{1,128}$/.test(n))).toBe(true);
    const add = tools.find((t) => t.name === 'remote.add')!;
    expect(add.outputSchema).toMatchObject({ type: 'object', properties: { sum: { type: 'number' } } });
  });

  it.each(['everything', 'local', 'remote', 'legacy'])(
    'calls a tool on %s and gets its result unchanged',
    async (up) => {
      const r = await client.callTool({
        name: `${up}.echo`,
        arguments: up === 'everything' ? { message: 'hi' } : { text: 'hi' },
      });
      expect(r.content).toEqual([{ type: 'text', text: up === 'everything' ? 'Echo: hi' : 'echo: hi' }]);
    },
  );

  it.each(['local', 'remote', 'legacy'])(
    'passes every content type and structured content through (%s)',
    async (up) => {
      const r = await client.callTool({ name: `${up}.content-types`, arguments: {} });
      expect((r.content as { type: string }[]).map((c) => c.type)).toEqual([
        'text',
        'image',
        'audio',
        'resource',
        'resource_link',
      ]);
      expect(r.structuredContent).toEqual({ kinds: ['text', 'image', 'audio', 'resource', 'resource_link'] });
      const sum = await client.callTool({ name: `${up}.add`, arguments: { a: 2, b: 3 } });
      expect(sum.structuredContent).toEqual({ sum: 5 });
    },
  );

  it.each(['local', 'remote', 'legacy'])(
    're-emits progress under the caller’s own token (%s)',
    async (up) => {
      const seen: { progress: number; total?: number; message?: string }[] = [];
      const r = await client.callTool({ name: `${up}.slow`, arguments: { ms: 60, steps: 3 } }, undefined, {
        onprogress: (p) => seen.push(p),
      });
      expect(r.content).toEqual([{ type: 'text', text: 'slept 60' }]);
      expect(seen.map((p) => p.progress)).toEqual([1, 2, 3]);
      expect(seen[0]).toMatchObject({ total: 3, message: 'step 1' });
    },
  );

  it.each(['local', 'remote', 'legacy', 'everything'])(
    'routes sampling from %s to this client and back',
    async (up) => {
      const r =
        up === 'everything'
          ? await client.callTool({
              name: 'everything.trigger-sampling-request',
              arguments: { prompt: 'ping', maxTokens: 5 },
            })
          : await client.callTool({ name: `${up}.sample`, arguments: { prompt: 'ping' } });
      expect(JSON.stringify(r.content)).toContain('you said');
    },
  );

  it.each(['local', 'remote', 'legacy'])('routes elicitation from %s to this client and back', async (up) => {
    const r = await client.callTool({ name: `${up}.elicit`, arguments: { message: 'colour?' } });
    expect(r.content).toEqual([{ type: 'text', text: 'elicited: accept {"color":"blue"}' }]);
  });

  it.each(['local', 'remote', 'legacy'])('routes roots/list from %s to this client and back', async (up) => {
    const r = await client.callTool({ name: `${up}.roots`, arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: '["file:///work"]' }]);
  });

  it.each(['local', 'remote', 'legacy'])(
    'forwards log messages with the upstream’s name (%s)',
    async (up) => {
      const logs: unknown[] = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
      await client.setLoggingLevel('debug');
      await client.callTool({ name: `${up}.log`, arguments: { level: 'warning', message: 'careful' } });
      await expect
        .poll(() => logs)
        .toContainEqual({ level: 'warning', logger: `${up}/fixture`, data: 'careful' });
    },
  );

  it.each(['local', 'remote', 'legacy'])('keeps large multi-byte payloads intact (%s)', async (up) => {
    const text = '日本語🚀é'.repeat(40_000);
    const r = await client.callTool({ name: `${up}.echo`, arguments: { text } });
    expect(r.content).toEqual([{ type: 'text', text: `echo: ${text}` }]);
  });

  it('passes tool errors (isError) and upstream JSON-RPC errors through', async () => {
    const r = await client.callTool({ name: 'remote.error', arguments: {} });
    expect(r.isError).toBe(true);
    const bad = await client.callTool({ name: 'remote.echo', arguments: { text: 42 } });
    expect(bad.isError).toBe(true); // the SDK server reports input validation as a tool error
  });

  it('answers an unknown tool with a clear error', async () => {
    await expect(client.callTool({ name: 'nope.nothing', arguments: {} })).rejects.toThrow(
      /Unknown tool: nope.nothing/,
    );
  });

  it('lists and reads resources and templates, and routes them by URI', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('fixture://static/hello');
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('fixture://items/{id}');
    const read = await client.readResource({ uri: 'fixture://items/42' });
    expect(read.contents[0]).toMatchObject({ uri: 'fixture://items/42', text: 'item 42' });
  });

  it('gets prompts and completions through their prefixed names', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['local.greet', 'remote.greet']));
    const p = await client.getPrompt({ name: 'remote.greet', arguments: { name: 'Ada' } });
    expect(p.messages[0]?.content).toEqual({ type: 'text', text: 'Hello, Ada!' });
    const c = await client.complete({
      ref: { type: 'ref/resource', uri: 'fixture://items/{id}' },
      argument: { name: 'id', value: '4' },
    });
    expect(c.completion.values).toEqual(['42']);
  });

  it('relays resource updates only to subscribers', async () => {
    const other = (await connect(gw.url)).client;
    const mine: string[] = [];
    const theirs: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void mine.push(n.params.uri));
    other.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void theirs.push(n.params.uri));
    await client.subscribeResource({ uri: 'fixture://static/hello' });
    await client.callTool({ name: 'local.touch', arguments: { uri: 'fixture://static/hello' } });
    await expect.poll(() => mine).toEqual(['fixture://static/hello']);
    expect(theirs).toEqual([]);
    await client.unsubscribeResource({ uri: 'fixture://static/hello' });
    await other.close();
  });

  it('announces new upstream tools with tools/list_changed', async () => {
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    const r = await client.callTool({ name: 'remote.add-tool', arguments: {} });
    const added = (r.content as { text: string }[])[0]!.text;
    await expect.poll(() => changed).toBeGreaterThan(0);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain(`remote.${added}`);
  });

  it('answers ping', async () => {
    await expect(client.ping()).resolves.toEqual({});
  });
});

describe('name collisions', () => {
  it('renames and reports a collision instead of hiding a tool', async () => {
    const gw = await startGateway({
      upstreams: [
        { name: 'one', mcp: stdioFixture('one'), prefix: 'never' },
        { name: 'two', mcp: stdioFixture('two'), prefix: 'never' },
        { name: 'three', mcp: stdioFixture('three'), prefix: 'conditional' },
      ],
    });
    try {
      const { client } = await connect(gw.url);
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('whoami');
      expect(names).toContain('two.whoami');
      expect(names).toContain('three.whoami');
      expect((await client.callTool({ name: 'whoami', arguments: {} })).content).toEqual([
        { type: 'text', text: 'one' },
      ]);
      expect((await client.callTool({ name: 'two.whoami', arguments: {} })).content).toEqual([
        { type: 'text', text: 'two' },
      ]);
      const admin = (await (await adminFetch(gw, '/tools')).json()) as {
        collisions: unknown[];
      };
      expect(admin.collisions).toContainEqual({
        kind: 'tool',
        name: 'whoami',
        kept: 'one',
        renamed: 'two',
        as: 'two.whoami',
      });
      await client.close();
    } finally {
      await gw.stop();
    }
  });
});
