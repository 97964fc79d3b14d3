/**
 * Push notifications cannot be turned against the gateway's own network (SSRF), end to end: the
 * official A2A SDK client registers webhooks with an agent the gateway serves, and a real loopback
 * listener stands in for an internal service that must never be called. DNS is simulated with the
 * gateway's `resolveHost` option; the system resolver never knows the `.test` names used here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Task } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolveHost } from '../../src/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { a2aClient, dataPart as data, sendParams as send } from '../support/a2a-client.js';
import { stdioFixture } from '../support/fixtures.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/** A loopback HTTP listener that counts what reaches it. */
async function internalService(): Promise<{ server: Server; port: number; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, requests: () => requests };
}

/** A gateway serving the fixture MCP server as an agent, its warnings collected. */
async function gatewayServingFixture(
  push: { allowPrivateNetworks: boolean },
  resolveHost?: ResolveHost,
): Promise<{
  gw: TestGateway;
  warnings: () => { msg: string; url: string; problem: string }[];
  log: () => string;
}> {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const gw = await startGateway(
    { upstreams: [{ name: 'fixture', mcp: stdioFixture('fixture') }], a2a: { push } },
    { logger: createLogger('warn', stream), ...(resolveHost ? { resolveHost } : {}) },
  );
  const warnings = () =>
    text
      .split('\n')
      .filter((l) => l.includes('push notification not delivered'))
      .map((l) => JSON.parse(l) as { msg: string; url: string; problem: string });
  return { gw, warnings, log: () => text };
}

/** Streams a call to fixture.echo with a webhook registered; returns how many events it produced. */
async function echoWithWebhook(client: Client, url: string): Promise<{ events: number; taskId: string }> {
  const request = send([data({ tool: 'fixture.echo', arguments: { text: 'x' } })]);
  request.configuration.taskPushNotificationConfig = {
    tenant: '',
    id: 'hook',
    taskId: '',
    url,
    token: '',
    authentication: undefined,
  } as never;
  let events = 0;
  let taskId = '';
  for await (const ev of client.sendMessageStream(request)) {
    events++;
    const p = ev.payload;
    if (p?.$case === 'task') taskId = p.value.id;
    else if (p && p.$case !== 'message') taskId ||= p.value.taskId;
  }
  return { events, taskId };
}

describe('A2A push notifications: SSRF (closed policy)', () => {
  let service: Awaited<ReturnType<typeof internalService>>;
  let gateway: Awaited<ReturnType<typeof gatewayServingFixture>>;
  let base: string;
  const lookups: string[] = [];
  // rebind.test: public when the webhook is registered, loopback on every lookup after that.
  const resolveHost: ResolveHost = (host) => {
    lookups.push(host);
    if (host !== 'rebind.test')
      return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    const address = lookups.filter((h) => h === host).length === 1 ? '8.8.8.8' : '127.0.0.1';
    return Promise.resolve([{ address, family: 4 }]);
  };

  beforeAll(async () => {
    service = await internalService();
    gateway = await gatewayServingFixture({ allowPrivateNetworks: false }, resolveHost);
    base = gateway.gw.url.replace(/\/mcp$/, '');
  }, 60_000);
  afterAll(async () => {
    await gateway?.gw.stop();
    service?.server.close();
  });

  it('push: a webhook on a loopback/private address is refused in every notation', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const task = (await client.sendMessage(
      send([data({ tool: 'fixture.echo', arguments: { text: 'x' } })]),
    )) as Task;
    const port = service.port;
    for (const url of [
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://[::ffff:7f00:1]:${port}/hook`,
      `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/hook`,
      `http://[::127.0.0.1]:${port}/hook`,
      `http://[64:ff9b::127.0.0.1]:${port}/hook`,
      `http://[2002:7f00:1::]:${port}/hook`,
      `http://0x7f000001:${port}/hook`,
      `http://2130706433:${port}/hook`,
      `http://0177.0.0.1:${port}/hook`,
      `http://127.1:${port}/hook`,
      `http://[::ffff:169.254.169.254]/latest/meta-data/`,
      `http://[::ffff:a00:1]/hook`,
    ]) {
      await expect(
        client.createTaskPushNotificationConfig({
          tenant: '',
          id: '',
          taskId: task.id,
          url,
          token: '',
          authentication: undefined,
        }),
        url,
      ).rejects.toThrow(/loopback\/private/);
    }
    const configs = await client.listTaskPushNotificationConfig({
      tenant: '',
      taskId: task.id,
      pageSize: 10,
      pageToken: '',
    });
    expect(configs.configs).toEqual([]);
    expect(service.requests()).toBe(0);
  });

  it('push: a host name that resolves public at registration and loopback at delivery never reaches the loopback listener', async () => {
    const client = await a2aClient(`${base}/a2a/fixture`);
    const url = `http://rebind.test:${service.port}/hook`;
    const { events, taskId } = await echoWithWebhook(client, url);
    expect(events).toBeGreaterThan(0);
    // The webhook was accepted (first answer: public) ...
    const configs = await client.listTaskPushNotificationConfig({
      tenant: '',
      taskId,
      pageSize: 10,
      pageToken: '',
    });
    expect(configs.configs.map((c) => c.url)).toEqual([url]);
    // ... and every delivery, one per event, was refused on the loopback answer it connected with.
    await expect.poll(() => gateway.warnings().length, { timeout: 10_000 }).toBe(events);
    for (const w of gateway.warnings())
      expect(w).toMatchObject({
        url,
        problem: 'rebind.test resolves to a loopback/private/special-purpose address: 127.0.0.1 (loopback)',
      });
    expect(lookups.filter((h) => h === 'rebind.test')).toHaveLength(1 + events);
    expect(service.requests()).toBe(0);
  });
});

describe('A2A push notifications: what a failed delivery logs', () => {
  let service: Awaited<ReturnType<typeof internalService>>;
  let gateway: Awaited<ReturnType<typeof gatewayServingFixture>>;

  beforeAll(async () => {
    service = await internalService();
    gateway = await gatewayServingFixture({ allowPrivateNetworks: true });
  }, 60_000);
  afterAll(async () => {
    await gateway?.gw.stop();
    service?.server.close();
  });

  it('push: the delivery-failure log line has no user:pass@, query or fragment', async () => {
    const client = await a2aClient(`${gateway.gw.url.replace(/\/mcp$/, '')}/a2a/fixture`);
    const { events } = await echoWithWebhook(
      client,
      `http://hookuser:hookpw@127.0.0.1:${service.port}/hook?sig=s3cret#frag`,
    );
    await expect.poll(() => gateway.warnings().length, { timeout: 10_000 }).toBe(events);
    for (const w of gateway.warnings()) expect(w.url).toBe(`http://127.0.0.1:${service.port}/hook`);
    expect(gateway.log()).not.toMatch(/hookuser|hookpw|@127\.0\.0\.1|s3cret|frag/);
    expect(service.requests()).toBe(0);
  });
});
