/**
 * An SDK `Transport` for an MCP server run as a child process, with the SDK's own stdio framing
 * (`ReadBuffer`, `serializeMessage`).
 *
 * It differs from the SDK's StdioClientTransport in one way that matters to a long-running
 * gateway: the child runs in its own process group, and the whole group is signalled. Servers are
 * often launched through wrappers (`npx`, `uvx`, shell scripts); killing only the wrapper leaves
 * the real server orphaned. Here every exit path — crash, reload, shutdown — reaps the group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface StdioSpec {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string;
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
  private readonly readBuffer = new ReadBuffer();
  private readonly stderrTail: string[] = [];
  private exited?: Promise<void>;

  constructor(
    private readonly spec: StdioSpec,
    private readonly onStderr?: (line: string) => void,
  ) {}

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
        env: { ...getDefaultEnvironment(), ...this.spec.env },
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
      child.stdout!.on('data', (chunk: Buffer) => {
        try {
          this.readBuffer.append(chunk);
        } catch (err) {
          this.onerror?.(err as Error);
          void this.close();
          return;
        }
        for (;;) {
          let msg: JSONRPCMessage | null;
          try {
            msg = this.readBuffer.readMessage();
          } catch (err) {
            // A line that is not a JSON-RPC message: report it and keep reading.
            this.onerror?.(new Error(`invalid message on stdout: ${(err as Error).message.slice(0, 200)}`));
            continue;
          }
          if (msg === null) break;
          this.onmessage?.(msg);
        }
      });
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
