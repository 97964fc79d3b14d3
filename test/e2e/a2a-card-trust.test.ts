/**
 * What an upstream agent's card may decide: where the gateway sends the agent's requests, and so
 * its configured credentials. Interfaces on a foreign origin are refused; a card that moves its
 * interfaces later is held like a changed tool until an admin approves; a required signature
 * needs a key source the config names. Real A2A SDK agents, and a loopback listener standing in
 * for whoever a card points at.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/index.js';
import { startA2aAgent, type A2aAgentFixture } from '../support/a2a-agent.js';
import { adminFetch, connect, startGateway, type TestGateway } from '../support/gateway.js';
import { ledgerEntries } from '../support/ledger.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A loopback server that records every request and answers 500. */
async function startRecorder(): Promise<{ url: string; seen: Json[]; stop(): Promise<void> }> {
  const seen: Json[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    req.resume();
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: Error) => e.message,
  );

async function readyz(gw: TestGateway): Promise<Record<string, Json>> {
  const body = (await (await fetch(gw.url.replace(/\/mcp$/, '/readyz'))).json()) as { upstreams: Json[] };
  return Object.fromEntries(body.upstreams.map((u) => [u.name, u]));
}

describe('A2A card trust: interfaces on a foreign origin', () => {
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let v1: A2aAgentFixture;
  let v03: A2aAgentFixture;
  let gw: TestGateway;

  beforeAll(async () => {
    recorder = await startRecorder();
    v1 = await startA2aAgent({ interfacesAt: recorder.url });
    v03 = await startA2aAgent({ interfacesAt: recorder.url, legacyOnly: true });
    gw = await startGateway({
      upstreams: [
        { name: 'evil', a2a: { url: v1.url, headers: { Authorization: 'Bearer evil-secret' } } },
        { name: 'legacy', a2a: { url: v03.url, headers: { Authorization: 'Bearer legacy-secret' } } },
      ],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await Promise.all([v1?.stop(), v03?.stop(), recorder?.stop()]);
  });

  it('refuses the card, naming the foreign origin; the credentials never reach it', async () => {
    const { client } = await connect(gw.url);
    for (const name of ['evil', 'legacy']) {
      await errorOf(client.callTool({ name: `${name}.send_message`, arguments: { message: 'echo hi' } }));
      await fetch(gw.url.replace(/\/mcp$/, `/a2a/${name}`), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'A2A-Version': '1.0' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'SendMessage',
          params: { message: { messageId: 'm1', role: 'ROLE_USER', parts: [{ text: 'echo hi' }] } },
        }),
      });
    }
    await client.close();
    expect(recorder.seen).toEqual([]);
    const by = await readyz(gw);
    for (const name of ['evil', 'legacy']) {
      expect(by[name]!.state).not.toBe('ready');
      expect(by[name]!.error).toContain(
        `interface on ${recorder.url}, which is neither the agent's origin nor in a2a.allowedOrigins`,
      );
      expect(by[name]!.error).not.toMatch(/secret/);
    }
  });
});

describe('A2A card trust: a card that moves its interfaces is held until approved', () => {
  let home: A2aAgentFixture;
  let other: A2aAgentFixture;
  let gw: TestGateway;
  let store: string;
  const upstreams = (allowedOrigins = [other.url]) => [
    {
      name: 'travel',
      a2a: {
        url: home.url,
        headers: { Authorization: 'Bearer travel-secret' },
        refreshIntervalMs: 100,
        allowedOrigins,
      },
    },
  ];
  const admin = (path: string, init?: RequestInit) => adminFetch(gw, path, init);
  const interfacesPin = async () =>
    ((await (await admin('/pins')).json()) as { pins: Json[] }).pins.find(
      (p) => p.upstream === 'travel' && p.tool === '#interfaces',
    );
  /** One bridged call; which agent took it shows in their request logs. */
  const call = async () => {
    const { client } = await connect(gw.url);
    try {
      return await client.callTool({ name: 'travel.send_message', arguments: { message: 'echo trip' } });
    } finally {
      await client.close();
    }
  };
  const calls = (a: A2aAgentFixture) => a.requests.filter((r) => r.method === 'POST').length;

  beforeAll(async () => {
    home = await startA2aAgent();
    other = await startA2aAgent({ name: 'Elsewhere' });
    store = `sqlite:${join(mkdtempSync(join(tmpdir(), 'swy-card-')), 'db.sqlite')}`;
    gw = await startGateway({ store, audit: { flushIntervalMs: 10 }, upstreams: upstreams() as never });
  });
  afterAll(async () => {
    await gw?.stop();
    await Promise.all([home?.stop(), other?.stop()]);
  });

  it('keeps calling the approved interfaces, alerts, and switches once an admin approves', async () => {
    expect((await call()).content).toEqual([{ type: 'text', text: 'trip' }]);
    expect(calls(home)).toBe(1);
    expect(await interfacesPin()).toMatchObject({ quarantined: false });

    home.moveInterfaces(other.url);
    await expect.poll(async () => (await interfacesPin())?.quarantined, { timeout: 10_000 }).toBe(true);
    const pin = await interfacesPin();
    expect(JSON.stringify(pin!.offered.definition)).toContain(`${other.url}/jsonrpc`);

    // Held: calls still go to the interfaces that were approved.
    expect((await call()).content).toEqual([{ type: 'text', text: 'trip' }]);
    expect(calls(home)).toBe(2);
    expect(calls(other)).toBe(0);
    const alert = (await ledgerEntries(gw.gateway)).find((e) => e.alert === 'interfaces_quarantined');
    expect(alert).toMatchObject({
      kind: 'alert',
      upstream: 'travel',
      target: '#interfaces',
      definitionHash: pin!.offered.hash,
      detail: { pinned: pin!.hash, mode: 'pin' },
    });
    expect(await gw.gateway.core.metrics.text()).toMatch(/switchyard_tool_quarantines_total 1/);

    const approved = await admin('/pins/travel/%23interfaces/approve', { method: 'POST' });
    expect(approved.status).toBe(200);
    await expect
      .poll(
        async () => {
          await call();
          return calls(other);
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    // An allowed origin gets the credentials once approved.
    expect(other.requests.find((r) => r.method === 'POST')?.authorization).toBe('Bearer travel-secret');
    expect((await ledgerEntries(gw.gateway)).some((e) => e.alert === 'interfaces_approved')).toBe(true);
  });

  it('after a restart, a card that moved while the gateway was down uses the stored approval', async () => {
    await gw.stop();
    home.moveInterfaces(undefined); // back to its own origin, which is no longer the approved set
    const before = { home: calls(home), other: calls(other) };
    gw = await startGateway({ store, audit: { flushIntervalMs: 10 }, upstreams: upstreams() as never });
    expect((await interfacesPin())?.quarantined).toBe(true);
    expect((await call()).content).toEqual([{ type: 'text', text: 'trip' }]);
    expect(calls(other)).toBe(before.other + 1);
    expect(calls(home)).toBe(before.home);
  });

  it('stops sending when the approved interfaces are no longer on an allowed origin, until approved', async () => {
    await gw.stop();
    // The config no longer allows the approved interfaces' origin; the card lists its own again.
    gw = await startGateway({ store, audit: { flushIntervalMs: 10 }, upstreams: upstreams([]) as never });
    const before = calls(other);
    const down = (await readyz(gw)).travel!;
    expect(down.state).not.toBe('ready');
    expect(down.error).toContain(`the approved ones are on ${other.url}, no longer an allowed origin`);
    expect(await errorOf(call())).toMatch(/travel/);
    expect(calls(other)).toBe(before);

    expect((await admin('/pins/travel/%23interfaces/approve', { method: 'POST' })).status).toBe(200);
    await expect.poll(async () => (await readyz(gw)).travel!.state, { timeout: 10_000 }).toBe('ready');
    const homeBefore = calls(home);
    expect((await call()).content).toEqual([{ type: 'text', text: 'trip' }]);
    expect(calls(home)).toBe(homeBefore + 1);
    expect(calls(other)).toBe(before);
  });
});

describe('A2A card trust: signatures need a configured key source', () => {
  let signed: A2aAgentFixture;
  let stranger: A2aAgentFixture;

  beforeAll(async () => {
    signed = await startA2aAgent({ sign: {} });
    stranger = await startA2aAgent();
  });
  afterAll(async () => {
    await Promise.all([signed?.stop(), stranger?.stop()]);
  });

  it('requireSignature without jwksUrl is a config error naming the path', () => {
    expect(() =>
      createGateway({ upstreams: [{ name: 'signed', a2a: { url: signed.url, requireSignature: true } }] }),
    ).toThrow(/upstreams\[0\]\.a2a\.jwksUrl: required when requireSignature is true/);
  });

  it('with jwksUrl set, only that JWKS verifies the card (the jku on its own origin is not trusted)', async () => {
    const gw = await startGateway({
      upstreams: [
        {
          name: 'trusted',
          a2a: { url: signed.url, requireSignature: true, jwksUrl: `${signed.url}/jwks.json` },
        },
        {
          name: 'untrusted',
          a2a: { url: signed.url, requireSignature: true, jwksUrl: `${stranger.url}/jwks.json` },
        },
      ],
    });
    try {
      const by = await readyz(gw);
      expect(by.trusted).toMatchObject({ state: 'ready', agent: { signed: true } });
      expect(by.untrusted!.state).not.toBe('ready');
      expect(by.untrusted!.error).toMatch(/signature is invalid/);
    } finally {
      await gw.stop();
    }
  });
});
