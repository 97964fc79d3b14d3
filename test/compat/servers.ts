/**
 * The MCP servers from npm that the compatibility suite runs, directly and behind the gateway.
 * Their versions are pinned in servers/package.json (+ lockfile), installed by
 * `npm run compat:install` without install scripts. Every one starts offline; what a server would
 * fetch from the internet is served on 127.0.0.1 by site.ts, or not called at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from '../support/browser.js';
import { GITLAB_PROJECT, PAGE_HEADING, PAGE_PATH, PAGE_TITLE } from './site.js';

export const SERVERS_DIR = fileURLToPath(new URL('./servers/', import.meta.url));
const BIN = `${SERVERS_DIR}node_modules/.bin/`;

/** What one running copy of a server gets of its own: direct and behind the gateway each get one. */
export interface Instance {
  /** A fresh directory holding FIXTURE_FILE. */
  dir: string;
  /** The server's $HOME, fresh too: servers that keep config or caches there start clean. */
  home: string;
  /** The suite's local site (site.ts), e.g. http://127.0.0.1:34567. */
  site: string;
  /** A reachable Postgres (only for servers that need it). */
  postgres: string;
}

export const FIXTURE_FILE = 'hello.txt';
export const FIXTURE_TEXT = 'Hello from the compatibility suite.\n';

/** One request made the same way directly and through the gateway; `expect` must match its result. */
export type Check = (
  | { tool: string; arguments: Record<string, unknown> }
  | { prompt: string; arguments?: Record<string, string> }
  | { resource: string }
) & {
  /** Matched against the result as JSON: guards against both sides failing the same way. */
  expect?: RegExp;
};

export interface Launch {
  args: string[];
  env: Record<string, string>;
}

export interface ServerSpec {
  /** The upstream name, and the row of the table. */
  name: string;
  package: string;
  bin: string;
  /** stdio: started by the direct client and by the gateway, one process each. HTTP: one process, both connect to it. */
  transport: 'stdio' | 'streamable-http' | 'sse';
  /** Path of the MCP endpoint of an HTTP server. */
  path?: string;
  needs?: 'postgres' | 'chromium';
  launch(i: Instance): Launch;
  checks(i: Instance): Check[];
  /** Tolerated oddities and why a call is or is not made; goes into docs/compatibility.md. */
  notes: string;
}

const browserArgs = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

export const SERVERS: readonly ServerSpec[] = [
  {
    name: 'everything',
    package: '@modelcontextprotocol/server-everything',
    bin: 'mcp-server-everything',
    transport: 'stdio',
    launch: () => ({ args: ['stdio'], env: {} }),
    checks: () => [
      { tool: 'echo', arguments: { message: 'hello' }, expect: /Echo: hello/ },
      { tool: 'get-sum', arguments: { a: 40, b: 2 }, expect: /42/ },
      { prompt: 'simple-prompt', expect: /simple prompt/i },
      { resource: 'demo://resource/static/document/architecture.md', expect: /text/ },
    ],
    notes:
      'Registers tools after `initialized` and sends `tools/list_changed`; the tools it offers depend ' +
      "on the client's capabilities (sampling, elicitation, roots).",
  },
  {
    name: 'everything-http',
    package: '@modelcontextprotocol/server-everything',
    bin: 'mcp-server-everything',
    transport: 'streamable-http',
    path: '/mcp',
    launch: () => ({ args: ['streamableHttp'], env: {} }),
    checks: () => [
      { tool: 'echo', arguments: { message: 'hello' }, expect: /Echo: hello/ },
      { tool: 'get-sum', arguments: { a: 40, b: 2 }, expect: /42/ },
    ],
    notes:
      'The same server over Streamable HTTP (one process; the direct client and the gateway each open a session).',
  },
  {
    name: 'everything-sse',
    package: '@modelcontextprotocol/server-everything',
    bin: 'mcp-server-everything',
    transport: 'sse',
    path: '/sse',
    launch: () => ({ args: ['sse'], env: {} }),
    checks: () => [{ tool: 'echo', arguments: { message: 'hello' }, expect: /Echo: hello/ }],
    notes: 'The same server over the legacy HTTP+SSE transport.',
  },
  {
    name: 'filesystem',
    package: '@modelcontextprotocol/server-filesystem',
    bin: 'mcp-server-filesystem',
    transport: 'stdio',
    launch: (i) => ({ args: [i.dir], env: {} }),
    checks: (i) => [
      { tool: 'read_text_file', arguments: { path: `${i.dir}/${FIXTURE_FILE}` }, expect: /Hello from the/ },
      { tool: 'list_directory', arguments: { path: i.dir }, expect: /\[FILE\] hello\.txt/ },
    ],
    notes:
      'Asks its client for `roots/list` after `initialized`. The gateway passes that on to a client ' +
      'that has roots, or answers with an error while none is connected; given no roots either way, ' +
      'the server keeps the directory it was started with.',
  },
  {
    name: 'memory',
    package: '@modelcontextprotocol/server-memory',
    bin: 'mcp-server-memory',
    transport: 'stdio',
    launch: (i) => ({ args: [], env: { MEMORY_FILE_PATH: `${i.dir}/memory.jsonl` } }),
    checks: () => [
      {
        tool: 'create_entities',
        arguments: {
          entities: [{ name: 'switchyard', entityType: 'project', observations: ['an MCP gateway'] }],
        },
        expect: /switchyard/,
      },
      { tool: 'read_graph', arguments: {}, expect: /an MCP gateway/ },
      { resource: 'memory://knowledge-graph', expect: /an MCP gateway/ },
    ],
    notes: 'Its graph is kept in a temporary file (`MEMORY_FILE_PATH`).',
  },
  {
    name: 'sequential-thinking',
    package: '@modelcontextprotocol/server-sequential-thinking',
    bin: 'mcp-server-sequential-thinking',
    transport: 'stdio',
    launch: () => ({ args: [], env: { DISABLE_THOUGHT_LOGGING: 'true' } }),
    checks: () => [
      {
        tool: 'sequentialthinking',
        arguments: {
          thought: 'A gateway should be invisible.',
          thoughtNumber: 1,
          totalThoughts: 1,
          nextThoughtNeeded: false,
        },
        expect: /thoughtHistoryLength/,
      },
    ],
    notes: '',
  },
  {
    name: 'postgres',
    package: '@modelcontextprotocol/server-postgres',
    bin: 'mcp-server-postgres',
    transport: 'stdio',
    needs: 'postgres',
    launch: (i) => ({ args: [i.postgres], env: {} }),
    checks: () => [
      { tool: 'query', arguments: { sql: 'select 40 + 2 as answer' }, expect: /"answer\\?":\s*42/ },
    ],
    notes: 'Against the local Postgres (the test database of the store tests).',
  },
  {
    name: 'puppeteer',
    package: '@modelcontextprotocol/server-puppeteer',
    bin: 'mcp-server-puppeteer',
    transport: 'stdio',
    needs: 'chromium',
    launch: (i) => ({
      args: [],
      env: {
        HOME: i.home,
        PUPPETEER_LAUNCH_OPTIONS: JSON.stringify({
          headless: true,
          executablePath: CHROMIUM,
          args: browserArgs,
        }),
        // It refuses --no-sandbox unless told so; a container running as root needs it.
        ALLOW_DANGEROUS: 'true',
      },
    }),
    checks: (i) => [
      { tool: 'puppeteer_navigate', arguments: { url: `${i.site}${PAGE_PATH}` }, expect: /Navigated/ },
      { tool: 'puppeteer_evaluate', arguments: { script: 'document.title' }, expect: new RegExp(PAGE_TITLE) },
    ],
    notes:
      "Drives Debian's Chromium (`PUPPETEER_LAUNCH_OPTIONS`, `ALLOW_DANGEROUS` for `--no-sandbox`); " +
      'its bundled browser download (an install script) is not needed.',
  },
  {
    name: 'playwright',
    package: '@playwright/mcp',
    bin: 'playwright-mcp',
    transport: 'stdio',
    needs: 'chromium',
    launch: (i) => ({
      args: [
        '--executable-path',
        CHROMIUM,
        '--headless',
        '--no-sandbox',
        '--isolated',
        // Snapshots in the answers of the tools that ask for one, not in files named by the time.
        '--snapshot-mode',
        'none',
        '--output-dir',
        `${i.dir}/playwright`,
      ],
      env: { HOME: i.home },
    }),
    checks: (i) => [
      {
        tool: 'browser_navigate',
        arguments: { url: `${i.site}${PAGE_PATH}` },
        expect: new RegExp(PAGE_TITLE),
      },
      { tool: 'browser_snapshot', arguments: {}, expect: new RegExp(PAGE_HEADING) },
    ],
    notes:
      "Drives Debian's Chromium (`--executable-path /usr/bin/chromium --headless --no-sandbox --isolated`); " +
      '`--snapshot-mode none` keeps snapshots out of files named by the time.',
  },
  {
    name: 'desktop-commander',
    package: '@wonderwhy-er/desktop-commander',
    bin: 'desktop-commander',
    transport: 'stdio',
    launch: (i) => ({
      args: [],
      env: {
        HOME: i.home,
        DESKTOP_COMMANDER_DISABLE_TELEMETRY: 'true',
        DC_FLAG_URL: `${i.site}/desktop-commander/flags.json`,
      },
    }),
    checks: (i) => [{ tool: 'list_directory', arguments: { path: i.dir }, expect: /\[FILE\] hello\.txt/ }],
    notes:
      'Sends `notifications/message` while it answers `initialize`. Keeps its config under `$HOME`; ' +
      'telemetry off (`DESKTOP_COMMANDER_DISABLE_TELEMETRY`), feature flags from the local site ' +
      '(`DC_FLAG_URL`). Its search tools need ripgrep, which an install script downloads: not called.',
  },
  {
    name: 'kubernetes',
    package: 'mcp-server-kubernetes',
    bin: 'mcp-server-kubernetes',
    transport: 'stdio',
    // No kubeconfig under this $HOME: it falls back to a cluster on localhost, which is not there.
    launch: (i) => ({ args: [], env: { HOME: i.home } }),
    checks: () => [{ tool: 'ping', arguments: {} }],
    notes: 'No cluster: lists everything, and `ping` answers without one (a result without `content`).',
  },
  {
    name: 'github',
    package: '@modelcontextprotocol/server-github',
    bin: 'mcp-server-github',
    transport: 'stdio',
    launch: () => ({ args: [], env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'compat-dummy-token' } }),
    checks: () => [],
    notes: 'A dummy token; no call (it only talks to api.github.com).',
  },
  {
    name: 'gitlab',
    package: '@modelcontextprotocol/server-gitlab',
    bin: 'mcp-server-gitlab',
    transport: 'stdio',
    launch: (i) => ({
      args: [],
      env: { GITLAB_PERSONAL_ACCESS_TOKEN: 'compat-dummy-token', GITLAB_API_URL: `${i.site}/gitlab/api/v4` },
    }),
    checks: () => [
      {
        tool: 'search_repositories',
        arguments: { search: GITLAB_PROJECT.name },
        expect: new RegExp(GITLAB_PROJECT.path_with_namespace),
      },
    ],
    notes: 'A dummy token; `GITLAB_API_URL` points at a minimal GitLab API on 127.0.0.1.',
  },
  {
    name: 'slack',
    package: '@modelcontextprotocol/server-slack',
    bin: 'mcp-server-slack',
    transport: 'stdio',
    launch: () => ({ args: [], env: { SLACK_BOT_TOKEN: 'xoxb-compat-dummy', SLACK_TEAM_ID: 'T0COMPAT' } }),
    checks: () => [],
    notes: 'A dummy token; no call (it only talks to slack.com).',
  },
];

export function binPath(spec: ServerSpec): string {
  return BIN + spec.bin;
}

export function installed(spec: ServerSpec): boolean {
  return existsSync(binPath(spec));
}

/** The installed version of a server's package (from its own package.json). */
export function installedVersion(spec: ServerSpec): string {
  const file = `${SERVERS_DIR}node_modules/${spec.package}/package.json`;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
