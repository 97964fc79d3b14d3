/**
 * Starting the fixture MCP server (fixture-server.ts) as a real child process, over stdio (as an
 * upstream spec for the gateway to launch) or over Streamable HTTP (started here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const FIXTURE = fileURLToPath(new URL('./fixture-server.ts', import.meta.url));
/** A server whose lists are exactly what the test gives it (lists-server.ts). */
export const LISTS_FIXTURE = fileURLToPath(new URL('./lists-server.ts', import.meta.url));
/** The MCP reference server, installed locally (it runs offline over stdio). */
export const EVERYTHING = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);
const TSX = ['--import', 'tsx'];

/** An upstream `mcp` block that makes the gateway launch the fixture over stdio. */
export function stdioFixture(name = 'fixture', env: Record<string, string> = {}) {
  return {
    command: process.execPath,
    args: [...TSX, FIXTURE, '--stdio'],
    env: { FIXTURE_NAME: name, ...env },
  };
}

/** An upstream `mcp` block for lists-server.ts over stdio (LISTS_JSON, LISTS_RACE in `env`). */
export function stdioListsFixture(env: Record<string, string> = {}) {
  return { command: process.execPath, args: [...TSX, LISTS_FIXTURE], env };
}

export interface HttpFixture {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Start the fixture over Streamable HTTP (or the legacy HTTP+SSE transport) on a loopback port (default: a free one). */
export async function startHttpFixture(
  name = 'fixture',
  transport: 'streamable-http' | 'sse' = 'streamable-http',
  port = 0,
): Promise<HttpFixture> {
  const child = spawn(
    process.execPath,
    [...TSX, FIXTURE, transport === 'sse' ? '--sse' : '--port', String(port)],
    {
      env: { ...process.env, FIXTURE_NAME: name },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const m = /^listening (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
