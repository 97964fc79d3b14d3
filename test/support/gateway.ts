/**
 * An in-process gateway for end-to-end tests (real HTTP listener on a free loopback port, real
 * store), and an official SDK client connected to it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { createGateway, type ConfigInput, type Gateway, type GatewayOptions } from '../../src/index.js';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  stop(): Promise<void>;
}

/** The admin token test gateways get unless their config names one (in-memory stores have no file). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** `options` may replace the logger (to read what the gateway logs), bring a resolver or a span exporter. */
export async function startGateway(
  config: ConfigInput,
  options: Pick<GatewayOptions, 'logger' | 'resolveHost' | 'traceExporter'> = {},
): Promise<TestGateway> {
  const gateway = createGateway(
    {
      store: 'sqlite::memory:',
      ...config,
      admin: { token: TEST_ADMIN_TOKEN, ...config.admin },
      server: { port: 0, ...config.server },
      reload: { watch: false, ...config.reload },
    },
    // SWY_TEST_LOG=debug shows the gateway's log while debugging a test.
    {
      logger: process.env.SWY_TEST_LOG ? createLogger(process.env.SWY_TEST_LOG) : silentLogger(),
      ...options,
    },
  );
  await gateway.start();
  // The gateway serves at once and upstreams join in the background; tests start from a
  // settled gateway (test/e2e/startup.test.ts covers the time before).
  await gateway.core.upstreamsStarted();
  return { gateway, url: gateway.url!, stop: () => gateway.stop() };
}

export async function connect(
  url: string,
  capabilities: ClientCapabilities = {},
  name = 'test-client',
  headers?: Record<string, string>,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  const transport = new StreamableHTTPClientTransport(
    new URL(url),
    headers ? { requestInit: { headers } } : undefined,
  );
  await client.connect(transport);
  return { client, transport };
}

/**
 * A request to the gateway's admin API as an admin: the gateway's admin token, and a JSON
 * content type on writes (both can be overridden through `init`).
 */
export function adminFetch(gw: TestGateway, path: string, init: RequestInit = {}): Promise<Response> {
  const core = gw.gateway.core;
  const token = core.config.admin.token ?? core.adminToken.token;
  return fetch(gw.url.replace(/\/mcp$/, `/admin${path}`), {
    ...init,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.method && init.method !== 'GET' ? { 'content-type': 'application/json' } : {}),
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}

/** An API key for each principal, created in the gateway's store (the keys, by principal). */
export async function apiKeysFor(gw: TestGateway, ...principals: string[]): Promise<Record<string, string>> {
  const { createKey } = await import('../../src/policy/keys.js');
  const out: Record<string, string> = {};
  for (const principal of principals)
    out[principal] = (await createKey(gw.gateway.core.store.apiKeys, { principal })).key;
  return out;
}
