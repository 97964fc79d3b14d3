/** Running the `switchyard` CLI from source in a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// tsx resolved from here, so the CLI also runs from a directory without node_modules.
const TSX = import.meta.resolve('tsx');
export const CLI_ARGS = ['--import', TSX, CLI];

/**
 * A config file for a CLI child, in a fresh temporary folder: port 0, a SQLite store in that
 * folder and no file watching, with `config` over those.
 */
export function configFile(prefix: string, config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), `swy-${prefix}-`));
  const file = join(dir, 'switchyard.yaml');
  const defaults = {
    server: { port: 0 },
    store: `sqlite:${join(dir, 'db.sqlite')}`,
    reload: { watch: false },
  };
  writeFileSync(file, stringify({ ...defaults, ...config }));
  return file;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  opts: { cwd?: string; input?: string; env?: Record<string, string> } = {},
) {
  return new Promise<CliResult>((resolve) => {
    const child = spawn(process.execPath, [...CLI_ARGS, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(opts.input ?? '');
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start `switchyard serve` and resolve with its MCP URL once it prints it. */
export function startServe(
  args: string[],
  opts: { cwd?: string } = {},
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [...CLI_ARGS, 'serve', ...args], {
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last megabyte: enough to explain a failure, bounded for long runs (fuzzing).
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
    if (stderr.length > 2_097_152) stderr = stderr.slice(-1_048_576);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let url = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /Switchyard MCP endpoint: (\S+)/.exec(out);
      if (m && !url) {
        url = m[1]!;
        // Upstreams join in the background: tests start once each has made its first attempt.
        upstreamsStarted(url).then(() => resolve({ child, url, stderr: () => stderr }), reject);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

/** Poll /readyz until no upstream is still in its first attempt to start. */
export async function upstreamsStarted(mcpUrl: string): Promise<void> {
  const readyz = mcpUrl.replace(/\/mcp$/, '/readyz');
  for (;;) {
    const body = (await (await fetch(readyz)).json()) as { upstreams: { state: string }[] };
    if (body.upstreams.every((u) => u.state !== 'starting')) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A `switchyard serve` child watched for the ways it can fail under fuzzing: an exit (a crash, an
 * unhandled rejection) and alarming lines on stderr. Started (and started again, after a crash,
 * on the same config, so that one crash does not end a run) until /readyz says ready. stderr is
 * kept bounded (its tail); alarming lines go to whoever watches.
 */
export class ServeProcess {
  /** Every exit that was not asked for, with the stderr that came before it. */
  readonly exits: { code: number | null; signal: string | null; stderr: string }[] = [];
  private readonly watchers = new Set<(line: string) => void>();
  private child!: ChildProcess;
  private tail = '';
  private stopping = false;
  base = '';

  private constructor(
    private readonly configFile: string,
    private readonly alarm: (line: string) => boolean,
  ) {}

  static async start(
    configFile: string,
    alarm = (line: string) => /unhandled|uncaught/i.test(line),
  ): Promise<ServeProcess> {
    const p = new ServeProcess(configFile, alarm);
    await p.launch();
    return p;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private async launch(): Promise<void> {
    const { child, url } = await startServe(['--config', this.configFile]);
    this.child = child;
    this.base = url.replace(/\/mcp$/, '');
    let partial = '';
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      this.tail = (this.tail + text).slice(-16_384);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!.slice(0, 100_000);
      for (const line of lines) if (this.alarm(line)) for (const w of this.watchers) w(line);
    });
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.exits.push({ code, signal, stderr: this.tail });
    });
    // Ready, and every upstream past its first attempt: agent cards fetched (bounded; a gateway that never gets there is
    // still there to be asked).
    for (const end = Date.now() + 30_000; this.alive && Date.now() < end;) {
      const settled = await fetch(`${this.base}/readyz`).then(
        async (r) =>
          r.status === 200 &&
          ((await r.json()) as { upstreams: { state: string }[] }).upstreams.every(
            (u) => u.state !== 'starting',
          ),
        () => false,
      );
      if (settled) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Call `fn` with each alarming stderr line from now on; returns the way to stop. */
  watch(fn: (line: string) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Start it again after an exit. */
  async restart(): Promise<void> {
    if (this.alive) await this.stop();
    this.stopping = false;
    this.tail = '';
    await this.launch();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.alive) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    await exited;
  }
}
