import { PassThrough } from 'node:stream';
import { TaskState, type StreamResponse, type TaskPushNotificationConfig } from '@a2a-js/sdk';
import type { PushNotificationStore, ServerCallContext } from '@a2a-js/sdk/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHookListener, type HookListener } from '../../test/support/hook-listener.js';
import type { ResolveHost } from '../policy/egress.js';
import { isInternalAddress } from '../policy/network.js';
import { createLogger } from '../telemetry/logger.js';
import { checkPushUrl, loggableUrl, PushDelivery, type DeliveryOptions } from './push.js';

const closed = { allowPrivateNetworks: false, allowedHosts: [] };

/** A resolver that gives each host its answers in turn (the last one again once they run out). */
function scripted(answers: Record<string, string[]>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (host: string) => {
    const seen = calls.filter((c) => c === host).length;
    calls.push(host);
    const list = answers[host];
    const address = list?.[Math.min(seen, list.length - 1)];
    if (!address)
      return Promise.reject(Object.assign(new Error(`${host}: not found`), { code: 'ENOTFOUND' }));
    return Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }]);
  };
  return Object.assign(resolve, { calls });
}

describe('push URL guard (SSRF)', () => {
  it('classifies loopback, private, link-local and mapped addresses as internal', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
    ])
      expect(isInternalAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888', '::ffff:1.1.1.1'])
      expect(isInternalAddress(a), a).toBe(false);
  });

  it('refuses internal targets, other schemes and hosts off the allow-list', async () => {
    await expect(checkPushUrl('http://127.0.0.1:8080/hook', closed)).rejects.toThrow(/loopback\/private/);
    await expect(checkPushUrl('http://[::1]/hook', closed)).rejects.toThrow(/loopback\/private/);
    await expect(checkPushUrl('http://localhost/hook', closed)).rejects.toThrow(/loopback\/private/);
    await expect(checkPushUrl('file:///etc/passwd', closed)).rejects.toThrow(/http\(s\)/);
    await expect(checkPushUrl('not a url', closed)).rejects.toThrow(/not a URL/);
    await expect(
      checkPushUrl('http://8.8.8.8/hook', {
        allowPrivateNetworks: false,
        allowedHosts: ['hooks.example.com'],
      }),
    ).rejects.toThrow(/allowedHosts/);
    await expect(checkPushUrl('http://8.8.8.8/hook', closed)).resolves.toBeUndefined();
    await expect(
      checkPushUrl('http://127.0.0.1/hook', { allowPrivateNetworks: true, allowedHosts: [] }),
    ).resolves.toBeUndefined();
  });

  it('refuses internal addresses however the URL spells them', async () => {
    for (const url of [
      'http://[::ffff:127.0.0.1]:8080/hook',
      'http://[::ffff:7f00:1]/hook',
      'http://[0:0:0:0:0:ffff:127.0.0.1]/hook',
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'http://[::ffff:a00:1]/hook',
      'http://[::127.0.0.1]/hook',
      'http://[64:ff9b::169.254.169.254]/hook',
      'http://[2002:a9fe:a9fe::]/hook',
      'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook',
      'http://[fd00:ec2::254]/hook',
      'http://0x7f000001/hook',
      'http://2130706433/hook',
      'http://0177.0.0.1/hook',
      'http://127.1/hook',
      'http://0/hook',
      'http://2852039166/hook',
      'http://100.100.100.200/hook',
      'http://198.18.0.1/hook',
      'http://224.0.0.1/hook',
      'http://255.255.255.255/hook',
    ]) {
      const resolve = scripted({});
      await expect(checkPushUrl(url, closed, resolve), url).rejects.toThrow(/loopback\/private/);
      expect(resolve.calls, url).toEqual([]);
    }
  });

  it('checks every address a host name resolves to, with the resolver it is given', async () => {
    const resolve = scripted({ 'mapped.test': ['::ffff:7f00:1'], 'public.test': ['8.8.8.8'] });
    await expect(checkPushUrl('https://mapped.test/hook', closed, resolve)).rejects.toThrow(
      'push notification URL refused: mapped.test resolves to a loopback/private/special-purpose address: ' +
        '::ffff:7f00:1 (loopback in IPv4-mapped form); set a2a.push.allowPrivateNetworks to allow it',
    );
    await expect(checkPushUrl('https://public.test/hook', closed, resolve)).resolves.toBeUndefined();
    await expect(checkPushUrl('https://nowhere.test/hook', closed, resolve)).rejects.toThrow(
      /does not resolve/,
    );
    const open = { allowPrivateNetworks: true, allowedHosts: [] };
    await expect(checkPushUrl('https://other.test/hook', open, resolve)).resolves.toBeUndefined();
    expect(resolve.calls).toEqual(['mapped.test', 'public.test', 'nowhere.test']);
  });

  it('logs a webhook URL without user:pass@, query or fragment', () => {
    expect(loggableUrl('https://user:pass@hooks.example.com:8443/a/b?sig=s3cret#frag')).toBe(
      'https://hooks.example.com:8443/a/b',
    );
    expect(loggableUrl('http://[::1]:9/hook')).toBe('http://[::1]:9/hook');
    expect(loggableUrl('nonsense')).toBe('(not a URL)');
  });
});

describe('push delivery', () => {
  let hook: HookListener;
  let port: number;
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const log = createLogger('warn', stream);
  const warnings = () =>
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; url: string; problem: string });

  const event: StreamResponse = {
    payload: {
      $case: 'statusUpdate',
      value: {
        taskId: 't1',
        contextId: 'c1',
        status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: undefined },
        metadata: undefined,
      },
    },
  };
  const storeOf = (url: string) =>
    ({
      load: () => Promise.resolve([{ id: 'h', taskId: 't1', url, token: '' } as TaskPushNotificationConfig]),
    }) as unknown as PushNotificationStore;
  const options =
    (o: Partial<DeliveryOptions> = {}) =>
    () => ({ ...closed, timeoutMs: 2_000, retries: 2, ...o });

  beforeAll(async () => {
    hook = await startHookListener();
    port = hook.port;
  });
  afterAll(() => hook.close());
  beforeEach(() => {
    hook.reset();
    text = '';
  });

  it('connects to the address it checked: a name that rebinds to loopback after registration gets nothing', async () => {
    const resolve = scripted({ 'rebind.test': ['8.8.8.8', '127.0.0.1'] });
    const url = `http://rebind.test:${port}/hook`;
    await checkPushUrl(url, closed, resolve); // registration: the first answer is public
    await new PushDelivery(storeOf(url), options(), log, resolve).send(event, {} as ServerCallContext);
    await expect.poll(() => warnings().length).toBe(1);
    expect(warnings()[0]).toMatchObject({
      msg: 'push notification not delivered',
      url,
      problem: 'rebind.test resolves to a loopback/private/special-purpose address: 127.0.0.1 (loopback)',
    });
    expect(resolve.calls).toEqual(['rebind.test', 'rebind.test']); // refused once, not retried
    expect(hook.requests).toBe(0);
  });

  it('delivers to a private address only when allowed, resolving through the same resolver', async () => {
    const resolve = scripted({ 'hooks.test': ['127.0.0.1'] });
    const url = `http://hooks.test:${port}/hook`;
    await new PushDelivery(storeOf(url), options({ allowPrivateNetworks: true }), log, resolve).send(
      event,
      {} as ServerCallContext,
    );
    await expect.poll(() => hook.requests).toBe(1);
    expect(warnings()).toEqual([]);
  });

  it('applies the policy in force at delivery time (allow-list changed since registration)', async () => {
    const resolve = scripted({ 'hooks.test': ['127.0.0.1'] });
    const url = `http://hooks.test:${port}/hook`;
    const opts = options({ allowPrivateNetworks: true, allowedHosts: ['other.test'] });
    await new PushDelivery(storeOf(url), opts, log, resolve).send(event, {} as ServerCallContext);
    await expect.poll(() => warnings().length).toBe(1);
    expect(warnings()[0]!.problem).toBe('push notification host hooks.test is not in a2a.push.allowedHosts');
    expect(hook.requests).toBe(0);
    expect(resolve.calls).toEqual([]);
  });

  it('keeps user:pass@, query and fragment out of the failure log', async () => {
    const url = `http://hookuser:hookpw@127.0.0.1:${port}/hook?sig=s3cret#frag`;
    await new PushDelivery(storeOf(url), options({ allowPrivateNetworks: true }), log).send(
      event,
      {} as ServerCallContext,
    );
    await expect.poll(() => warnings().length).toBe(1);
    expect(warnings()[0]!.url).toBe(`http://127.0.0.1:${port}/hook`);
    expect(warnings()[0]!.problem).toMatch(/user name or password/);
    expect(text).not.toMatch(/hookuser|hookpw|@|s3cret|frag/);
    expect(hook.requests).toBe(0);
  });
});
