import { describe, expect, it } from 'vitest';
import { checkPushUrl, isInternalAddress } from './push.js';

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
    ])
      expect(isInternalAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888', '::ffff:1.1.1.1'])
      expect(isInternalAddress(a), a).toBe(false);
  });

  it('refuses internal targets, other schemes and hosts off the allow-list', async () => {
    const closed = { allowPrivateNetworks: false, allowedHosts: [] };
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
});
