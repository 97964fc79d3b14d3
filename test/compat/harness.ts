/**
 * How the compatibility suite talks to a server: the official SDK client, directly (stdio, or
 * HTTP to a server process started here) and through the gateway (Streamable HTTP), with the same
 * capabilities either way, and what it reads back: whole lists and call results, comparable
 * across the two.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ListRootsRequestSchema,
  McpError,
  type ClientCapabilities,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { alive } from '../support/process.js';
import { binPath, type Check, type Launch, type ServerSpec } from './servers.js';

/**
 * What the gateway declares to its upstreams (src/mcp/upstream/connection.ts). The clients here
 * declare the same, so a server that tailors what it offers to its client's capabilities (the
 * reference server does) offers the direct client and the gateway the same things.
 */
export const CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

/** Roots the clients give when asked: none, so servers keep the directories they were started with. */
export function answerRoots(client: Client): void {
  client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [] }));
}

export function newClient(name: string): Client {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: CLIENT_CAPABILITIES });
  answerRoots(client);
  return client;
}

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
export const LIST_KINDS: readonly ListKind[] = ['tools', 'prompts', 'resources', 'resourceTemplates'];

const METHODS: Record<ListKind, { method: string; capability: keyof ServerCapabilities }> = {
  tools: { method: 'tools/list', capability: 'tools' },
  prompts: { method: 'prompts/list', capability: 'prompts' },
  resources: { method: 'resources/list', capability: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', capability: 'resources' },
};

export type Item = Record<string, unknown>;

/** A list as read: every page, and the error the server answered instead, if it did. */
export interface ReadList {
  items: Item[];
  error?: string;
}

/**
 * Every page of one list. A list whose capability the server does not declare is empty without
 * asking. A server that declares it and answers with an error is read as empty, and the error is
 * kept (the table reports it): a plain client treats an optional list that way.
 */
export async function readList(client: Client, kind: ListKind, lenient: boolean): Promise<ReadList> {
  const { method, capability } = METHODS[kind];
  if (lenient && !client.getServerCapabilities()?.[capability]) return { items: [] };
  const items: Item[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    let result: Record<string, unknown>;
    try {
      result = (await listPage(client, kind, cursor)) as Record<string, unknown>;
    } catch (err) {
      if (!lenient || !(err instanceof McpError)) throw err;
      return { items: [], error: `${method}: ${err.code} ${err.message.replace(/^MCP error -?\d+: /, '')}` };
    }
    items.push(...(result[kind] as Item[]));
    const next = result.nextCursor;
    if (typeof next !== 'string' || next === '') break;
    cursor = next;
  }
  return { items };
}

function listPage(client: Client, kind: ListKind, cursor: string | undefined) {
  const params = cursor ? { cursor } : undefined;
  switch (kind) {
    case 'tools':
      return client.listTools(params);
    case 'prompts':
      return client.listPrompts(params);
    case 'resources':
      return client.listResources(params);
    case 'resourceTemplates':
      return client.listResourceTemplates(params);
  }
}

/** The key an entry of a list is known by. */
export function keyOf(kind: ListKind, item: Item): string {
  if (kind === 'resources') return String(item.uri);
  if (kind === 'resourceTemplates') return String(item.uriTemplate);
  return String(item.name);
}

export function sortByKey(kind: ListKind, items: readonly Item[]): Item[] {
  return [...items].sort((a, b) =>
    keyOf(kind, a) < keyOf(kind, b) ? -1 : keyOf(kind, a) > keyOf(kind, b) ? 1 : 0,
  );
}

/** Make one request of a check and return its result. */
export async function run(client: Client, check: Check): Promise<unknown> {
  if ('tool' in check) return client.callTool({ name: check.tool, arguments: check.arguments });
  if ('prompt' in check) return client.getPrompt({ name: check.prompt, arguments: check.arguments });
  return client.readResource({ uri: check.resource });
}

/** A result with an instance's own paths replaced by placeholders, so two instances compare. */
export function normalize(value: unknown, paths: Record<string, string>): unknown {
  let text = JSON.stringify(value);
  for (const [path, placeholder] of Object.entries(paths)) text = text.split(path).join(placeholder);
  return JSON.parse(text) as unknown;
}

/** Poll `read` until `done` says yes or the deadline passes; returns the last value read. */
export async function settle<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  deadlineMs: number,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last = await read();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

/** A client connected straight to a server, and how to let it go. */
export interface DirectPeer {
  client: Client;
  /** The last lines the server wrote to stderr (stdio servers). */
  stderr(): string;
  close(): Promise<void>;
}

/** Start a stdio server with the SDK's own transport and connect to it. */
export async function connectStdio(spec: ServerSpec, launch: Launch): Promise<DirectPeer> {
  const transport = new StdioClientTransport({
    command: binPath(spec),
    args: launch.args,
    env: launch.env,
    stderr: 'pipe',
  });
  const tail: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  });
  const client = newClient('switchyard-compat');
  const stderr = () => tail.join('\n');
  try {
    await client.connect(transport, { timeout: 60_000 });
  } catch (err) {
    await closeStdio(client, transport);
    throw new Error(`${spec.name} did not start: ${(err as Error).message}\n${stderr()}`);
  }
  return { client, stderr, close: () => closeStdio(client, transport) };
}

/**
 * Close the client (the SDK ends the server's stdin, then signals it), then end whatever the
 * server left behind: a browser a server launched must not outlive the suite.
 */
async function closeStdio(client: Client, transport: StdioClientTransport): Promise<void> {
  const pid = transport.pid;
  const family = pid ? descendants(pid) : [];
  await client.close().catch(() => {});
  await transport.close().catch(() => {});
  for (const p of family) if (alive(p)) kill(p);
}

/** Connect the SDK client to a server over HTTP (Streamable HTTP or the legacy SSE transport). */
export async function connectHttp(spec: ServerSpec, url: string): Promise<DirectPeer> {
  const transport: Transport =
    spec.transport === 'sse'
      ? new SSEClientTransport(new URL(url))
      : new StreamableHTTPClientTransport(new URL(url));
  const client = newClient('switchyard-compat');
  await client.connect(transport, { timeout: 60_000 });
  return { client, stderr: () => '', close: () => client.close().catch(() => {}) };
}

/** Process groups of the HTTP servers still running: ended with the test process whatever happens. */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) kill(-pgid);
});

/** An HTTP server process of the suite, in its own process group. */
export interface ServerProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * Start an HTTP server on a free loopback port (PORT) and wait until it accepts connections.
 * Its own group, signalled whole on stop, so nothing it started outlives it.
 */
export async function startHttpServer(spec: ServerSpec, launch: Launch): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(binPath(spec), launch.args, {
    env: { ...getDefaultEnvironment(), ...launch.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const tail: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => tail.push(chunk.toString('utf8')));
  child.once('error', (err) => tail.push(err.message));
  if (child.pid) liveGroups.add(child.pid);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      if (child.pid) liveGroups.delete(child.pid);
      resolve();
    }),
  );
  const stop = () => stopGroup(child, exited);
  const up = await settle<'up' | 'down' | 'exited'>(
    async () => (child.exitCode !== null || !child.pid ? 'exited' : (await accepts(port)) ? 'up' : 'down'),
    (v) => v !== 'down',
    60_000,
  );
  if (up !== 'up') {
    await stop();
    throw new Error(`${spec.name} did not listen on ${port}: ${tail.join('').slice(-2000)}`);
  }
  return { url: `http://127.0.0.1:${port}${spec.path ?? '/mcp'}`, stop };
}

async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  kill(-child.pid, 'SIGTERM');
  const done = await Promise.race([exited.then(() => true), delay(5_000).then(() => false)]);
  if (!done) kill(-child.pid, 'SIGKILL');
  await exited;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Every live descendant of a process (Linux: /proc). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses; the parent pid follows its last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    for (const c of children.get(todo.pop()!) ?? []) {
      todo.push(c);
      out.push(c);
    }
  }
  return out;
}

function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
