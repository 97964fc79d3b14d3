/**
 * Switchyard's own MCP fixture server: everything the official conformance suite
 * (@modelcontextprotocol/conformance 0.1.16) expects a server to offer in its server scenarios —
 * tools, resources (with a template and subscriptions), prompts, completions, logging, progress,
 * sampling, elicitation (incl. SEP-1034 defaults and SEP-1330 enums), JSON Schema 2020-12 and
 * SSE polling / resumability (SEP-1699). The gateway fronts this fixture so the suite can be run
 * against the gateway; the names and payloads below are the ones the scenarios check.
 *
 * It is built on the SDK's low-level `Server` (not `McpServer`) so that every list entry and
 * schema goes on the wire exactly as written here (McpServer would re-derive tool schemas from zod
 * and drop `$schema`, `$defs` and `additionalProperties`).
 *
 * Run it:
 *   node --import tsx test/support/conformance-server.ts --stdio     stdio; stdout carries only protocol
 *   node --import tsx test/support/conformance-server.ts --port 0    Streamable HTTP on 127.0.0.1, prints
 *                                                                    "listening http://127.0.0.1:<port>/mcp"
 * Diagnostics always go to stderr.
 */
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type {
  CallToolResult,
  CompleteResult,
  ElicitRequestFormParams,
  GetPromptResult,
  JSONRPCMessage,
  LoggingLevel,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  ServerNotification,
  ServerRequest,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';

// ---------------------------------------------------------------------------------------------
// Fixed payloads
// ---------------------------------------------------------------------------------------------

const SERVER_INFO = { name: 'switchyard-conformance-fixture', version: '1.0.0' };

/** A 1x1 red PNG, used wherever a scenario wants image bytes. */
const PNG_1X1_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A valid, tiny PCM WAV (mono, 8 kHz, 16-bit, a few samples of silence), base64-encoded. */
function silentWavBase64(samples = 8, sampleRate = 8000): string {
  const dataBytes = samples * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  return wav.toString('base64');
}
const WAV_BASE64 = silentWavBase64();

const JSON_SCHEMA_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** The resource the subscription scenarios (and test_update_watched_resource) use. */
const WATCHED_URI = 'test://watched-resource';

/** SSE `retry:` hint (ms) sent in priming events; short so reconnect tests stay fast. */
const SSE_RETRY_MS = 500;

const LOG_LEVELS: readonly LoggingLevel[] = LoggingLevelSchema.options;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const textResult = (text: string): CallToolResult => ({ content: [{ type: 'text', text }] });

/** Tool failures are reported in the result (isError), not as JSON-RPC errors, per the spec. */
const toolError = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

/** Reads a required string argument; undefined when it is missing or not a string. */
function stringArg(args: Record<string, unknown>, name: string): string | undefined {
  const value = args[name];
  return typeof value === 'string' ? value : undefined;
}

/** An object input schema with no parameters. */
const NO_ARGS: Tool['inputSchema'] = { type: 'object', properties: {} };

/** JSON-RPC error code the spec assigns to "resource not found". */
const RESOURCE_NOT_FOUND = -32002;

// ---------------------------------------------------------------------------------------------
// Per-server state and the context handed to tools
// ---------------------------------------------------------------------------------------------

/** State of one server instance, i.e. one MCP session (HTTP) or the one stdio connection. */
interface SessionState {
  /** Lowest level the client wants to receive (logging/setLevel); undefined = everything. */
  logLevel: LoggingLevel | undefined;
  /** URIs the client subscribed to with resources/subscribe. */
  subscriptions: Set<string>;
  /** Bumped by test_update_watched_resource so subscribers see a real change. */
  watchedVersion: number;
}

interface ToolContext {
  server: Server;
  state: SessionState;
  extra: Extra;
  /** Sends notifications/message on the tool call's own stream, honouring logging/setLevel. */
  log(level: LoggingLevel, message: string): Promise<void>;
}

interface FixtureTool {
  definition: Tool;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<CallToolResult>;
}

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

/** elicitation-sep1034-defaults: one field per primitive type, each with a default. */
const SEP1034_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Your name', default: 'John Doe' },
    age: { type: 'integer', description: 'Your age', default: 30 },
    score: { type: 'number', description: 'Your score', default: 95.5 },
    status: {
      type: 'string',
      description: 'Account status',
      enum: ['active', 'inactive', 'pending'],
      default: 'active',
    },
    verified: { type: 'boolean', description: 'Verified account', default: true },
  },
};

/** elicitation-sep1330-enums: the five enum shapes of SEP-1330, one property each. */
const SEP1330_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    untitledSingle: {
      type: 'string',
      description: 'Untitled single-select',
      enum: ['option1', 'option2', 'option3'],
    },
    titledSingle: {
      type: 'string',
      description: 'Titled single-select',
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: {
      type: 'string',
      description: 'Legacy titled enum (enumNames, deprecated)',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: {
      type: 'array',
      description: 'Untitled multi-select',
      items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    },
    titledMulti: {
      type: 'array',
      description: 'Titled multi-select',
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
};

/**
 * Sends elicitation/create *related to the current tool call* (so over HTTP it travels on that
 * call's SSE stream) and waits for the client's answer.
 */
async function elicit(ctx: ToolContext, params: ElicitRequestFormParams) {
  return ctx.extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema);
}

const describeElicitation = (result: { action: string; content?: Record<string, unknown> }) =>
  `action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;

const TOOLS: FixtureTool[] = [
  {
    definition: {
      name: 'test_simple_text',
      description: 'Returns a fixed text block',
      inputSchema: NO_ARGS,
    },
    run: async () => textResult('This is a simple text response for testing.'),
  },
  {
    definition: { name: 'test_image_content', description: 'Returns a 1x1 PNG image', inputSchema: NO_ARGS },
    run: async () => ({ content: [{ type: 'image', data: PNG_1X1_BASE64, mimeType: 'image/png' }] }),
  },
  {
    definition: { name: 'test_audio_content', description: 'Returns a tiny WAV clip', inputSchema: NO_ARGS },
    run: async () => ({ content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] }),
  },
  {
    definition: {
      name: 'test_embedded_resource',
      description: 'Returns an embedded text resource',
      inputSchema: NO_ARGS,
    },
    run: async () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  },
  {
    definition: {
      name: 'test_multiple_content_types',
      description: 'Returns text, image and embedded resource content together',
      inputSchema: NO_ARGS,
    },
    run: async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG_1X1_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  },
  {
    definition: {
      name: 'test_tool_with_logging',
      description: 'Sends three info log notifications ~50 ms apart while running',
      inputSchema: NO_ARGS,
    },
    run: async (_args, ctx) => {
      await ctx.log('info', 'Tool execution started');
      await sleep(50);
      await ctx.log('info', 'Tool processing data');
      await sleep(50);
      await ctx.log('info', 'Tool execution completed');
      return textResult('Tool with logging executed successfully');
    },
  },
  {
    definition: {
      name: 'test_error_handling',
      description: 'Always fails with isError: true',
      inputSchema: NO_ARGS,
    },
    run: async () => toolError('This tool intentionally returns an error for testing'),
  },
  {
    definition: {
      name: 'test_tool_with_progress',
      description: 'Reports progress 0, 50, 100 of 100 (~50 ms apart) when given a progressToken',
      inputSchema: NO_ARGS,
    },
    run: async (_args, { extra }) => {
      const progressToken = extra._meta?.progressToken;
      for (const [i, progress] of [0, 50, 100].entries()) {
        if (i > 0) await sleep(50);
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
          });
        }
      }
      // A short pause before the result: the SDK client drops a progress notification that it reads
      // in the same chunk as the response (notification handlers run a microtask later).
      await sleep(20);
      return textResult(`Progress tool completed${progressToken === undefined ? ' (no progressToken)' : ''}`);
    },
  },
  {
    definition: {
      name: 'test_sampling',
      description: 'Asks the client for an LLM completion (sampling/createMessage) of the given prompt',
      inputSchema: {
        type: 'object',
        properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
        required: ['prompt'],
      },
    },
    run: async (args, ctx) => {
      const prompt = stringArg(args, 'prompt');
      if (prompt === undefined) return toolError('Argument "prompt" (string) is required');
      if (!ctx.server.getClientCapabilities()?.sampling) {
        return toolError('The client does not support sampling (no "sampling" capability)');
      }
      // Related to the tool call, so over HTTP the request rides on the tools/call SSE stream.
      const result = await ctx.extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 },
        },
        CreateMessageResultSchema,
      );
      const answer =
        result.content.type === 'text' ? result.content.text : `[${result.content.type} content]`;
      return textResult(`LLM response: ${answer}`);
    },
  },
  {
    definition: {
      name: 'test_elicitation',
      description: 'Asks the user for a username and email (elicitation/create)',
      inputSchema: {
        type: 'object',
        properties: { message: { type: 'string', description: 'The message to show the user' } },
        required: ['message'],
      },
    },
    run: async (args, ctx) => {
      const message = stringArg(args, 'message');
      if (message === undefined) return toolError('Argument "message" (string) is required');
      if (!ctx.server.getClientCapabilities()?.elicitation) {
        return toolError('The client does not support elicitation (no "elicitation" capability)');
      }
      const result = await elicit(ctx, {
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      return textResult(`User response: ${describeElicitation(result)}`);
    },
  },
  {
    definition: {
      name: 'test_elicitation_sep1034_defaults',
      description: 'Elicitation whose schema carries default values for every primitive type (SEP-1034)',
      inputSchema: NO_ARGS,
    },
    run: async (_args, ctx) => {
      const result = await elicit(ctx, {
        message: 'Please review your profile (defaults pre-filled)',
        requestedSchema: SEP1034_SCHEMA,
      });
      return textResult(`Elicitation completed: ${describeElicitation(result)}`);
    },
  },
  {
    definition: {
      name: 'test_elicitation_sep1330_enums',
      description: 'Elicitation using all five enum schema variants (SEP-1330)',
      inputSchema: NO_ARGS,
    },
    run: async (_args, ctx) => {
      const result = await elicit(ctx, {
        message: 'Please pick some options',
        requestedSchema: SEP1330_SCHEMA,
      });
      return textResult(`Elicitation completed: ${describeElicitation(result)}`);
    },
  },
  {
    // json-schema-2020-12: the suite checks that $schema, $defs and additionalProperties survive.
    definition: {
      name: 'json_schema_2020_12_tool',
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: {
        $schema: JSON_SCHEMA_2020_12,
        type: 'object',
        $defs: {
          address: {
            type: 'object',
            properties: { street: { type: 'string' }, city: { type: 'string' } },
          },
        },
        properties: {
          name: { type: 'string' },
          address: { $ref: '#/$defs/address' },
        },
        additionalProperties: false,
      },
    },
    run: async (args) => textResult(`json_schema_2020_12_tool called with ${JSON.stringify(args)}`),
  },
  {
    // server-sse-polling (SEP-1699): closes the POST SSE stream before answering; the client must
    // reconnect (GET + Last-Event-ID) to get the result replayed from the event store.
    definition: {
      name: 'test_reconnection',
      description: 'Closes its SSE stream mid-call and answers after the client reconnects (SEP-1699)',
      inputSchema: NO_ARGS,
    },
    run: async (_args, { extra }) => {
      // Only offered by the HTTP transport with an event store and a client on protocol >= 2025-11-25.
      const closed = extra.closeSSEStream !== undefined;
      extra.closeSSEStream?.();
      await sleep(100);
      return textResult(
        closed
          ? 'Reconnection test completed: the stream was closed mid-call and the result was delivered after reconnecting.'
          : 'Reconnection test completed (stream closing not available on this connection).',
      );
    },
  },
  {
    // Not used by the suite: lets gateway tests observe notifications/resources/updated.
    definition: {
      name: 'test_update_watched_resource',
      description: 'Changes test://watched-resource and notifies subscribers (resources/updated)',
      inputSchema: NO_ARGS,
    },
    run: async (_args, { server, state }) => {
      state.watchedVersion += 1;
      const notified = state.subscriptions.has(WATCHED_URI);
      // Unrelated to the tool call on purpose: real servers send updates on the standalone stream.
      if (notified) await server.sendResourceUpdated({ uri: WATCHED_URI });
      return textResult(`watched resource is now at version ${state.watchedVersion}; notified=${notified}`);
    },
  },
];

const TOOLS_BY_NAME = new Map(TOOLS.map((tool) => [tool.definition.name, tool]));

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

type ResourceContents = ReadResourceResult['contents'][number];

interface FixtureResource {
  resource: Resource;
  read(state: SessionState): ResourceContents;
}

const RESOURCES: FixtureResource[] = [
  {
    resource: {
      uri: 'test://static-text',
      name: 'static-text',
      description: 'A static text resource',
      mimeType: 'text/plain',
    },
    read: () => ({
      uri: 'test://static-text',
      mimeType: 'text/plain',
      text: 'This is the content of the static text resource.',
    }),
  },
  {
    resource: {
      uri: 'test://static-binary',
      name: 'static-binary',
      description: 'A static binary resource (1x1 PNG)',
      mimeType: 'image/png',
    },
    read: () => ({ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG_1X1_BASE64 }),
  },
  {
    resource: {
      uri: WATCHED_URI,
      name: 'watched-resource',
      description: 'A resource clients can subscribe to (see test_update_watched_resource)',
      mimeType: 'text/plain',
    },
    read: (state) => ({
      uri: WATCHED_URI,
      mimeType: 'text/plain',
      text: `Watched resource content (version ${state.watchedVersion})`,
    }),
  },
];

const TEMPLATE: ResourceTemplate = {
  uriTemplate: 'test://template/{id}/data',
  name: 'template-data',
  description: 'Per-id JSON data; {id} is substituted into the content',
  mimeType: 'application/json',
};
const TEMPLATE_PATTERN = /^test:\/\/template\/([^/]+)\/data$/;

/** Resolves a URI against the static resources and the template; undefined when unknown. */
function readResource(uri: string, state: SessionState): ResourceContents | undefined {
  const fixed = RESOURCES.find((r) => r.resource.uri === uri);
  if (fixed) return fixed.read(state);
  const match = TEMPLATE_PATTERN.exec(uri);
  if (!match?.[1]) return undefined;
  const id = decodeURIComponent(match[1]);
  return {
    uri,
    mimeType: 'application/json',
    text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
  };
}

function resourceNotFound(uri: string): McpError {
  return new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
}

// ---------------------------------------------------------------------------------------------
// Prompts and completions
// ---------------------------------------------------------------------------------------------

interface FixturePrompt {
  prompt: Prompt;
  render(args: Record<string, string>): GetPromptResult;
}

const PROMPTS: FixturePrompt[] = [
  {
    prompt: { name: 'test_simple_prompt', description: 'A prompt without arguments' },
    render: () => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
    }),
  },
  {
    prompt: {
      name: 'test_prompt_with_arguments',
      description: 'A prompt that substitutes two arguments',
      arguments: [
        { name: 'arg1', description: 'First test argument', required: true },
        { name: 'arg2', description: 'Second test argument', required: true },
      ],
    },
    render: ({ arg1, arg2 }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  },
  {
    prompt: {
      name: 'test_prompt_with_embedded_resource',
      description: 'A prompt that embeds the resource named by resourceUri',
      arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
    },
    render: ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri ?? '',
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  },
  {
    prompt: { name: 'test_prompt_with_image', description: 'A prompt containing an image' },
    render: () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG_1X1_BASE64, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  },
];

const PROMPTS_BY_NAME = new Map(PROMPTS.map((p) => [p.prompt.name, p]));

/** Completion candidates per prompt argument / template variable; filtered by prefix. */
const PROMPT_COMPLETIONS: Record<string, Record<string, string[]>> = {
  test_prompt_with_arguments: {
    arg1: ['paris', 'park', 'party', 'test-value-1', 'test-value-2'],
    arg2: ['alpha', 'beta', 'gamma'],
  },
};
const TEMPLATE_COMPLETIONS: Record<string, string[]> = { id: ['123', '456', '789'] };

function complete(candidates: string[] | undefined, prefix: string): CompleteResult {
  const values = (candidates ?? []).filter((value) => value.startsWith(prefix));
  return { completion: { values, total: values.length, hasMore: false } };
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/**
 * A fresh fixture server. Over HTTP create one per session: the session state (log level,
 * subscriptions) lives in the instance.
 */
export function createConformanceServer(): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: {
      tools: {},
      resources: { subscribe: true },
      prompts: {},
      logging: {},
      completions: {},
    },
  });
  const state: SessionState = { logLevel: undefined, subscriptions: new Set(), watchedVersion: 1 };

  // Replaces the SDK's default setLevel handler so the tools can filter by the level themselves.
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    state.logLevel = request.params.level;
    return {};
  });

  const contextFor = (extra: Extra): ToolContext => ({
    server,
    state,
    extra,
    async log(level, message) {
      if (state.logLevel && LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(state.logLevel)) return;
      // Related to the tool call, so over HTTP it arrives on the call's SSE stream before the result.
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level, logger: 'conformance-fixture', data: message },
      });
    },
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((tool) => tool.definition),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = TOOLS_BY_NAME.get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    try {
      return await tool.run(request.params.arguments ?? {}, contextFor(extra));
    } catch (err) {
      return toolError(
        `Tool ${request.params.name} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: RESOURCES.map((r) => r.resource),
  }));

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [TEMPLATE],
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const contents = readResource(request.params.uri, state);
    if (!contents) throw resourceNotFound(request.params.uri);
    return { contents: [contents] };
  });

  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    if (!readResource(request.params.uri, state)) throw resourceNotFound(request.params.uri);
    state.subscriptions.add(request.params.uri);
    return {};
  });

  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    state.subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: PROMPTS.map((p) => p.prompt) }));

  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const entry = PROMPTS_BY_NAME.get(request.params.name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
    const args = request.params.arguments ?? {};
    const missing = (entry.prompt.arguments ?? []).filter((a) => a.required && args[a.name] === undefined);
    if (missing.length > 0) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Missing required arguments: ${missing.map((a) => a.name).join(', ')}`,
      );
    }
    return entry.render(args);
  });

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    if (ref.type === 'ref/prompt') {
      if (!PROMPTS_BY_NAME.has(ref.name)) {
        throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${ref.name}`);
      }
      return complete(PROMPT_COMPLETIONS[ref.name]?.[argument.name], argument.value);
    }
    if (ref.uri !== TEMPLATE.uriTemplate) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown resource template: ${ref.uri}`);
    }
    return complete(TEMPLATE_COMPLETIONS[argument.name], argument.value);
  });

  return server;
}

// ---------------------------------------------------------------------------------------------
// Streamable HTTP
// ---------------------------------------------------------------------------------------------

/**
 * In-memory event store (one per session) so POST/GET SSE streams are resumable: the SDK sends a
 * priming event (id + empty data + retry) and stores every message, and a GET with Last-Event-ID
 * replays what followed on the same stream.
 */
class InMemoryEventStore implements EventStore {
  private static readonly MAX_EVENTS = 1000;
  private readonly events: { id: EventId; streamId: StreamId; message: JSONRPCMessage }[] = [];
  private seq = 0;

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const id = `${streamId}:${++this.seq}`;
    this.events.push({ id, streamId, message });
    if (this.events.length > InMemoryEventStore.MAX_EVENTS) this.events.shift();
    return id;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.events.find((e) => e.id === eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const index = this.events.findIndex((e) => e.id === lastEventId);
    const streamId = this.events[index]?.streamId;
    if (streamId === undefined) throw new Error(`Unknown event id: ${lastEventId}`);
    for (const event of this.events.slice(index + 1)) {
      // Priming events are stored as {} and carry nothing worth replaying.
      if (event.streamId === streamId && Object.keys(event.message).length > 0) {
        await send(event.id, event.message);
      }
    }
    return streamId;
  }
}

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True when `hostPort` ("host" or "host:port") names this machine. */
function isLocalHost(hostPort: string): boolean {
  try {
    return LOCAL_HOSTNAMES.has(new URL(`http://${hostPort}`).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * DNS-rebinding protection: a page on evil.example.com that resolves to 127.0.0.1 reaches us with
 * its own Host and Origin, so both must name localhost (Origin only when present). Returns the
 * reason for rejecting, or undefined when the request is acceptable.
 */
function rebindingViolation(req: http.IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (!host || !isLocalHost(host)) return `Host header not allowed: ${host ?? '(missing)'}`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (!originHost || !isLocalHost(originHost)) return `Origin header not allowed: ${origin}`;
  }
  return undefined;
}

function sendJsonRpcError(
  res: http.ServerResponse,
  status: number,
  code: number,
  message: string,
  headers = {},
) {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Reads the request body; `tooLarge` when it exceeds MAX_BODY_BYTES. */
async function readBody(req: http.IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return { text: '', tooLarge: true };
    chunks.push(chunk as Buffer);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: false };
}

const isInitialize = (body: unknown): boolean =>
  (Array.isArray(body) ? body : [body]).some(
    (m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize',
  );

export interface ConformanceHttpServer {
  /** e.g. http://127.0.0.1:41234/mcp */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the fixture over Streamable HTTP at http://127.0.0.1:<port>/mcp (port 0 = any free
 * port): stateful sessions (one Server + transport per Mcp-Session-Id), resumable SSE streams,
 * and Host/Origin checks answered with 403.
 */
export async function startConformanceHttpServer(
  options: { port?: number } = {},
): Promise<ConformanceHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  /** Creates the transport + server pair for an initialize request; the SDK assigns the session id. */
  async function openSession(): Promise<StreamableHTTPServerTransport> {
    const server = createConformanceServer();
    server.onerror = (err) => console.error(`[conformance-fixture] ${err.message}`);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      eventStore: new InMemoryEventStore(),
      retryInterval: SSE_RETRY_MS,
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    // Set before connect(): the server chains its own close handling onto this one.
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/mcp') return sendJsonRpcError(res, 404, -32000, `Not found: ${path}`);

    const violation = rebindingViolation(req);
    if (violation) return sendJsonRpcError(res, 403, -32000, `Forbidden: ${violation}`);

    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      return sendJsonRpcError(res, 405, -32000, 'Method not allowed', { Allow: 'GET, POST, DELETE' });
    }

    const sessionId = req.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (sessionId !== undefined && !transport) return sendJsonRpcError(res, 404, -32001, 'Session not found');

    let body: unknown;
    if (req.method === 'POST') {
      const { text, tooLarge } = await readBody(req);
      if (tooLarge) return sendJsonRpcError(res, 413, -32000, 'Request body too large');
      try {
        body = JSON.parse(text);
      } catch {
        return sendJsonRpcError(res, 400, -32700, 'Parse error: invalid JSON');
      }
      if (!transport && isInitialize(body)) transport = await openSession();
    }
    if (!transport) {
      return sendJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    }

    await transport.handleRequest(req, res, body);
  }

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error('[conformance-fixture] request failed:', err);
      sendJsonRpcError(res, 500, -32603, 'Internal server error');
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Script entry point
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stdio: { type: 'boolean' }, port: { type: 'string' } } });

  if (values.stdio) {
    const server = createConformanceServer();
    server.onerror = (err) => console.error(`[conformance-fixture] ${err.message}`);
    await server.connect(new StdioServerTransport());
    console.error('[conformance-fixture] serving on stdio');
    return;
  }

  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`Invalid --port: ${values.port}`);
    }
    const { url, close } = await startConformanceHttpServer({ port });
    const shutdown = () => {
      close()
        .finally(() => process.exit(0))
        .catch(() => process.exit(1));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    console.log(`listening ${url}`);
    return;
  }

  console.error('usage: conformance-server.ts --stdio | --port <port>   (port 0 picks a free port)');
  process.exitCode = 2;
}

/** True when this file is the process entry point (not imported by a test). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((err: unknown) => {
    console.error('[conformance-fixture]', err);
    process.exit(1);
  });
}
