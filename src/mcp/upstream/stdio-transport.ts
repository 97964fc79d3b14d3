/**
 * An SDK `Transport` for an MCP server run as a child process: newline-delimited JSON-RPC, as the
 * SDK frames it (`serializeMessage`, `deserializeMessage`).
 *
 * It differs from the SDK's StdioClientTransport in one way that matters to a long-running
 * gateway: the child runs in its own process group, and the whole group is signalled. Servers are
 * often launched through wrappers (`npx`, `uvx`, shell scripts); killing only the wrapper leaves
 * the real server orphaned. Here every exit path — crash, reload, shutdown — reaps the group.
 *
 * And no line is held beyond `maxLineBytes`: a longer one is skipped to its end (the process keeps
 * running), and `onerror` gets an `OversizedLine` error saying what little its first and last bytes
 * tell about it (the transport's listeners are the SDK's three, set by whoever starts it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { StdioMcpConfig } from '../../config/schema.js';
import { sharedChannel, type Connect } from './link.js';

export interface StdioSpec {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Variables of the gateway's own environment the child also gets. */
  inheritEnv?: readonly string[];
  cwd?: string;
}

/** The named variables that are set in this process's environment. */
function inherited(names: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A line longer than the limit was skipped: what its edges tell, the id it carries and whether it has a method. */
export class OversizedLine extends Error {
  constructor(
    readonly limit: number,
    readonly id: string | number | undefined,
    /** A request or notification from the server (its method is named near the start). */
    readonly method: boolean,
  ) {
    super(`a message longer than ${limit} bytes was skipped`);
    this.name = 'OversizedLine';
  }
}

/** Process groups of every live child, so an exiting gateway can reap them synchronously. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // the group is already gone
  }
}

export class StdioUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child?: ChildProcess;
  private readonly lines: LineReader;
  private readonly stderrTail: string[] = [];
  private exited?: Promise<void>;

  constructor(
    private readonly spec: StdioSpec,
    private readonly onStderr?: (line: string) => void,
    maxLineBytes = Number.POSITIVE_INFINITY,
  ) {
    this.lines = new LineReader(maxLineBytes);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the child wrote to stderr, for error messages about why it died. */
  get lastStderr(): string {
    return this.stderrTail.join('\n');
  }

  start(): Promise<void> {
    installExitHook();
    return new Promise((resolve, reject) => {
      const child = spawn(this.spec.command, [...this.spec.args], {
        env: { ...getDefaultEnvironment(), ...inherited(this.spec.inheritEnv), ...this.spec.env },
        cwd: this.spec.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        windowsHide: true,
      });
      this.child = child;
      child.once('error', (err) => {
        const e = new Error(
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? `command not found: ${this.spec.command}`
            : `cannot start ${this.spec.command}: ${err.message}`,
        );
        reject(e);
        this.onerror?.(e);
      });
      child.once('spawn', () => {
        if (child.pid) liveGroups.add(child.pid);
        resolve();
      });
      // The leader exiting is what matters: anything it left behind in its group goes with it.
      // ('close' alone would wait for a surviving grandchild that still holds the pipes.)
      child.once('exit', () => {
        if (child.pid) killGroup(child.pid, 'SIGKILL');
      });
      this.exited = new Promise((done) => {
        child.once('close', () => {
          if (child.pid) {
            killGroup(child.pid, 'SIGKILL');
            liveGroups.delete(child.pid);
          }
          this.child = undefined;
          done();
          this.onclose?.();
        });
      });
      child.stdout!.on('data', (chunk: Buffer) =>
        this.lines.push(
          chunk,
          (line) => {
            let msg: JSONRPCMessage;
            try {
              msg = deserializeMessage(line);
            } catch (err) {
              // A line that is not a JSON-RPC message: report it and keep reading.
              this.onerror?.(new Error(`invalid message on stdout: ${(err as Error).message.slice(0, 200)}`));
              return;
            }
            this.onmessage?.(msg);
          },
          (head, tail) => {
            const { id, method } = sniff(head, tail);
            this.onerror?.(new OversizedLine(this.lines.limit, id, method));
          },
        ),
      );
      child.stdin!.on('error', (err) => this.onerror?.(err));
      let partial = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (text: string) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.noteStderr(line);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) return Promise.reject(new Error('process is not running'));
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Close stdin, then SIGTERM the group, then SIGKILL it: each step waits at most `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const pgid = child.pid;
    const wait = (ms: number) =>
      Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
    child.stdin?.end();
    if ((await wait(graceMs)) !== 'timeout') return;
    killGroup(pgid, 'SIGTERM');
    if ((await wait(graceMs)) !== 'timeout') return;
    killGroup(pgid, 'SIGKILL');
    await wait(graceMs);
  }

  private noteStderr(line: string): void {
    if (!line) return;
    this.stderrTail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (this.stderrTail.length > 20) this.stderrTail.shift();
    this.onStderr?.(line);
  }
}

/** Bytes kept from each end of a skipped line, to find its id. */
const EDGE = 256;

/**
 * Splits a byte stream into lines, holding at most `limit` bytes of one line. A longer line is
 * skipped to its end; only its first and last EDGE bytes are kept.
 */
class LineReader {
  private parts: Buffer[] = [];
  private length = 0;
  private skipping: { head: Buffer; tail: Buffer } | undefined;

  constructor(readonly limit: number) {}

  push(chunk: Buffer, line: (text: string) => void, oversized: (head: string, tail: string) => void): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (this.skipping) {
        this.skipping.tail = lastBytes(Buffer.concat([this.skipping.tail, lastBytes(piece)]));
      } else if (this.length + piece.length > this.limit) {
        const held = [...this.parts, piece];
        this.skipping = {
          head: firstBytes(held),
          tail: lastBytes(Buffer.concat(held.map(lastBytes).slice(-2))),
        };
        this.parts = [];
        this.length = 0;
      } else {
        // Copied: a piece of the chunk would keep the whole chunk alive while the line grows.
        this.parts.push(nl === -1 ? Buffer.from(piece) : piece);
        this.length += piece.length;
      }
      if (nl === -1) return;
      start = nl + 1;
      if (this.skipping) {
        const { head, tail } = this.skipping;
        this.skipping = undefined;
        oversized(head.toString('utf8'), tail.toString('utf8'));
        continue;
      }
      const parts = this.parts;
      this.parts = [];
      this.length = 0;
      const text = (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString('utf8');
      line(text.endsWith('\r') ? text.slice(0, -1) : text);
    }
  }
}

function lastBytes(b: Buffer): Buffer {
  return b.length > EDGE ? b.subarray(b.length - EDGE) : b;
}

/** The first EDGE bytes of the buffers, without joining all of them. */
function firstBytes(bufs: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  let n = 0;
  for (const b of bufs) {
    if (n >= EDGE) break;
    out.push(b.subarray(0, EDGE - n));
    n += out.at(-1)!.length;
  }
  return Buffer.concat(out);
}

const ID = String.raw`"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)`;
const ID_FIRST = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?${ID}`);
const ID_LAST = new RegExp(String.raw`${ID}\s*\}\s*$`);
const METHOD_FIRST = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"method"\s*:/;

/**
 * What the edges of a JSON-RPC message say about it. Serializers put `id` first or last (the
 * SDKs do), and a request or notification usually starts with its method.
 */
export function sniff(head: string, tail: string): { id?: string | number; method: boolean } {
  const m = ID_FIRST.exec(head) ?? ID_LAST.exec(tail.replace(/\r$/, ''));
  const method = METHOD_FIRST.test(head);
  if (!m) return { method };
  try {
    return { id: JSON.parse(m[1]!) as string | number, method };
  } catch {
    return { method };
  }
}

/** The link to a stdio server: its process, which carries every message (nothing runs until started). */
export const connectStdio: Connect = (spec, _sink, log) => {
  const transport = new StdioUpstreamTransport(
    spec.mcp as StdioMcpConfig,
    (line) => log.debug({ stderr: line }, 'upstream stderr'),
    spec.maxResponseBytes,
  );
  return Promise.resolve(Object.freeze({ transport, channel: sharedChannel(transport) }));
};
