import type { LookupAddress } from 'node:dns';
import { fetch } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHookListener, type HookListener } from '../../test/support/hook-listener.js';
import {
  egressDispatcher,
  guardedLookup,
  InternalAddressError,
  resolveAllowed,
  type ResolveHost,
} from './egress.js';

/** A resolver that answers from a table and counts its lookups (no DNS is ever asked). */
function table(answers: Record<string, string[]>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (host: string) => {
    calls.push(host);
    const addresses = answers[host];
    if (!addresses)
      return Promise.reject(Object.assign(new Error(`${host}: not found`), { code: 'ENOTFOUND' }));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { calls });
}

/** The error a refused fetch carries (fetch itself rejects with "fetch failed"). */
async function failure(p: Promise<unknown>): Promise<Error> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as (Error & { cause?: Error }) | undefined;
  expect(err).toBeDefined();
  return err!.cause ?? err!;
}

describe('egress: one resolution, checked, is the one connected to', () => {
  let hook: HookListener;
  let port: number;

  beforeAll(async () => {
    hook = await startHookListener();
    port = hook.port;
  });
  afterAll(() => hook.close());
  beforeEach(() => {
    hook.reset();
  });

  it('refuses a host name that resolves to loopback, before any connection', async () => {
    const resolve = table({ 'hooks.test': ['127.0.0.1'] });
    const dispatcher = egressDispatcher({ allowPrivateNetworks: false, resolve });
    const err = await failure(fetch(`http://hooks.test:${port}/hook`, { method: 'POST', dispatcher }));
    expect(err).toBeInstanceOf(InternalAddressError);
    expect(err.message).toBe(
      'hooks.test resolves to a loopback/private/special-purpose address: 127.0.0.1 (loopback)',
    );
    // The same lookup serves TLS connections.
    const tls = await failure(fetch(`https://hooks.test:${port}/hook`, { method: 'POST', dispatcher }));
    expect(tls).toBeInstanceOf(InternalAddressError);
    expect(resolve.calls).toEqual(['hooks.test', 'hooks.test']);
    expect(hook.requests).toBe(0);
    await dispatcher.close();
  });

  it('refuses IP-literal hosts in any notation without asking the resolver', async () => {
    const resolve = table({});
    const dispatcher = egressDispatcher({ allowPrivateNetworks: false, resolve });
    for (const host of [
      '127.0.0.1',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '0x7f000001',
      '2130706433',
      '127.1',
    ]) {
      const err = await failure(fetch(`http://${host}:${port}/hook`, { method: 'POST', dispatcher }));
      expect(err, host).toBeInstanceOf(InternalAddressError);
    }
    expect(resolve.calls).toEqual([]);
    expect(hook.requests).toBe(0);
    await dispatcher.close();
  });

  it('refuses a name when any one of its addresses is internal', async () => {
    const resolve = table({ 'mixed.test': ['8.8.8.8', '::ffff:10.0.0.1'] });
    await expect(resolveAllowed('mixed.test', { allowPrivateNetworks: false, resolve })).rejects.toThrow(
      'mixed.test resolves to a loopback/private/special-purpose address: ::ffff:10.0.0.1 (private in IPv4-mapped form)',
    );
    await expect(resolveAllowed('nowhere.test', { allowPrivateNetworks: false, resolve })).rejects.toThrow(
      /not found/,
    );
  });

  it('connects to exactly the address the resolver gave, when private networks are allowed', async () => {
    const resolve = table({ 'hooks.test': ['127.0.0.1'] });
    const dispatcher = egressDispatcher({ allowPrivateNetworks: true, resolve });
    // hooks.test is unknown to the system resolver: the connection can only come from this answer.
    const res = await fetch(`http://hooks.test:${port}/hook`, { method: 'POST', dispatcher });
    expect(res.status).toBe(204);
    expect(hook.requests).toBe(1);
    expect(resolve.calls).toEqual(['hooks.test']);
    await dispatcher.close();
  });

  it('answers net.connect in both shapes, with the addresses of the family asked for', async () => {
    const resolve = table({ 'dual.test': ['2001:4860:4860::8888', '8.8.8.8'], 'local.test': ['::1'] });
    const lookup = guardedLookup({ allowPrivateNetworks: false, resolve });
    const ask = (host: string, options: object) =>
      new Promise<{ err: Error | null; address: string | LookupAddress[]; family?: number }>((r) =>
        lookup(host, options, (err, address, family) => r({ err, address, family })),
      );
    expect(await ask('dual.test', { all: true })).toEqual({
      err: null,
      address: [
        { address: '2001:4860:4860::8888', family: 6 },
        { address: '8.8.8.8', family: 4 },
      ],
      family: undefined,
    });
    expect(await ask('dual.test', { family: 4 })).toEqual({ err: null, address: '8.8.8.8', family: 4 });
    expect(await ask('dual.test', { family: 'IPv6' })).toMatchObject({ address: '2001:4860:4860::8888' });
    expect((await ask('local.test', { all: true })).err).toBeInstanceOf(InternalAddressError);
    expect((await ask('local.test', { family: 4 })).err).toBeInstanceOf(InternalAddressError);
  });
});
