import { describe, expect, it } from 'vitest';
import { isInternalAddress, specialPurpose } from './network.js';

/** The host of a URL as the gateway sees it: WHATWG-normalised, IPv6 without brackets. */
const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '');

describe('address classification: only globally routable unicast is external', () => {
  it('refuses every IPv4 special-purpose range (IANA registry)', () => {
    const ranges: Record<string, string> = {
      '0.0.0.0': 'unspecified',
      '0.1.2.3': 'unspecified',
      '10.0.0.1': 'private',
      '10.255.255.255': 'private',
      '100.64.0.1': 'carrierGradeNat',
      '100.127.255.254': 'carrierGradeNat',
      '127.0.0.1': 'loopback',
      '127.255.255.254': 'loopback',
      '169.254.169.254': 'linkLocal',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.0.0.8': 'reserved',
      '192.0.2.1': 'reserved',
      '192.88.99.1': 'reserved',
      '192.168.1.1': 'private',
      '198.18.0.1': 'reserved',
      '198.19.255.255': 'reserved',
      '198.51.100.7': 'reserved',
      '203.0.113.9': 'reserved',
      '224.0.0.1': 'multicast',
      '239.255.255.250': 'multicast',
      '240.0.0.1': 'reserved',
      '255.255.255.255': 'broadcast',
    };
    for (const [address, range] of Object.entries(ranges))
      expect(specialPurpose(address), address).toBe(range);
  });

  it('refuses every IPv6 special-purpose range and everything outside 2000::/3', () => {
    for (const address of [
      '::',
      '::1',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'fe80::1%eth0',
      'febf::1',
      'fec0::1', // site-local, deprecated
      'ff02::1',
      'ff0e::1',
      '2001:db8::1',
      '3fff::1', // documentation (RFC 9637)
      '100::1', // discard
      '2001:2::1', // benchmarking
      '2001::1', // Teredo
      '2001:10::1', // ORCHID, deprecated
      '5f00::1', // SRv6 SIDs
      '4000::1', // unallocated
      'e000::1',
      '::ffff:0:7f00:1', // SIIT-translated (RFC 6145)
      '64:ff9b:1::808:808', // local-use NAT64: never global
    ])
      expect(isInternalAddress(address), address).toBe(true);
  });

  it('sees through every IPv6 form that carries an internal IPv4 address', () => {
    const forms: Record<string, string> = {
      '::ffff:127.0.0.1': 'loopback in IPv4-mapped form',
      '::ffff:7f00:1': 'loopback in IPv4-mapped form',
      '0:0:0:0:0:ffff:127.0.0.1': 'loopback in IPv4-mapped form',
      '0000:0000:0000:0000:0000:FFFF:7F00:0001': 'loopback in IPv4-mapped form',
      '::ffff:169.254.169.254': 'linkLocal in IPv4-mapped form',
      '::ffff:a00:1': 'private in IPv4-mapped form',
      '::ffff:0.0.0.0': 'unspecified in IPv4-mapped form',
      '64:ff9b::127.0.0.1': 'loopback in NAT64 form',
      '64:ff9b::a9fe:a9fe': 'linkLocal in NAT64 form',
      '64:ff9b::c0a8:101': 'private in NAT64 form',
      '2002:7f00:1::': 'loopback in 6to4 form',
      '2002:a9fe:a9fe::1': 'linkLocal in 6to4 form',
      '2002:0a00:0001:1::1': 'private in 6to4 form',
      '2002:6440:1::': 'carrierGradeNat in 6to4 form',
      '::127.0.0.1': 'IPv4-compatible',
      '::7f00:1': 'IPv4-compatible',
      // Deprecated form, refused whatever it carries. ipaddr.js alone reads ::8.8.8.8 as
      // ::ffff:8.8.8.8 (external); the socket would connect to ::808:808.
      '::8.8.8.8': 'IPv4-compatible',
      '::10.0.0.1': 'IPv4-compatible',
      '2001:0:4136:e378:8000:63bf:80ff:fffe': 'teredo', // client 127.0.0.1, obfuscated
    };
    for (const [address, range] of Object.entries(forms))
      expect(specialPurpose(address), address).toBe(range);
  });

  it('decides on the address WHATWG URL parsing yields, however the URL spells it', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/', // decimal
      'http://0x7f000001/', // hex
      'http://0x7f.0.0.1/',
      'http://0177.0.0.1/', // octal
      'http://0177.0.0.01/',
      'http://127.1/',
      'http://127.0.1/',
      'http://0/',
      'http://0x0a.1/',
      'http://169.254.43518/', // 169.254.169.254
      'http://2852039166/', // 169.254.169.254
      'http://[::1]/',
      'http://[0:0:0:0:0:0:0:1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://[::FFFF:127.0.0.1]/',
      'http://[0::ffff:7f00:0001]/',
      'http://[::ffff:169.254.169.254]/',
      'http://[64:ff9b::127.0.0.1]/',
      'http://[2002:7f00:1::1]/',
      'http://[::127.0.0.1]/',
      'http://[fe80::1]/',
    ])
      expect(isInternalAddress(hostOf(url)), url).toBe(true);
  });

  it('lets globally routable unicast through, also inside the IPv6 forms that carry it', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '100.128.0.1',
      '192.0.3.1',
      '198.20.0.1',
      '2001:4860:4860::8888',
      '2606:4700::1111',
      '::ffff:1.1.1.1',
      '::ffff:808:808',
      '64:ff9b::808:808',
      '2002:808:808::1',
    ])
      expect(specialPurpose(address), address).toBeUndefined();
  });

  it('never takes what is not an IP address in standard notation for external', () => {
    for (const s of [
      '',
      'localhost',
      'example.com',
      '0x7f.1',
      '127.1',
      '2130706433',
      '010.0.0.1',
      '8.8.8.8%eth0',
      '[::1]',
      '1.2.3.4.5',
      ':::',
    ])
      expect(specialPurpose(s), s).toBe('not an IP address');
  });
});
