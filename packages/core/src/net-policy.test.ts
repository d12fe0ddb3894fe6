import { describe, expect, it } from 'vitest';
import { allowlistMatches, allowPatternTooBroad, checkEndpointUrl, classifyAddress, normaliseAllowPattern } from './net-policy.ts';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a00:1', 'private'],
    ['fe80::1', 'link-local'],
    ['fd12::1', 'private'],
    ['2001:4860:4860::8888', 'public'],
    // Documentation and other special-purpose IPv4 blocks.
    ['192.0.2.10', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.200', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['203.0.114.1', 'public'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  // IPv6 forms that carry an IPv4 address are judged by the address they carry.
  it.each([
    ['64:ff9b::10.0.0.1', 'private'], // NAT64 well-known prefix
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::a00:1', 'private'], // NAT64 local use: refused whatever it carries
    ['64:ff9b:1:ffff::808:808', 'private'],
    ['::10.0.0.1', 'private'], // IPv4-compatible
    ['::127.0.0.1', 'loopback'],
    ['::8.8.8.8', 'public'],
    ['::2', 'unspecified'],
    ['::ffff:0:10.1.2.3', 'private'], // IPv4-translated
    ['2002:a00:1::', 'private'], // 6to4 of 10.0.0.1
    ['2002:7f00:1::1', 'loopback'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:808:808::1', 'public'],
    ['fec0::1', 'private'], // site-local
    ['feff::1', 'private'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], // Teredo
    ['2001:db8::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['100::1', 'reserved'],
    ['ff02::1', 'reserved'],
    ['4000::1', 'reserved'], // outside global unicast
    ['::1:0:0:1', 'reserved'],
    ['fd00:ec2::254', 'metadata'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });
});

describe('checkEndpointUrl', () => {
  const prod = { devMode: false };
  const dev = { devMode: true };
  it('requires https outside dev mode', () => {
    expect(checkEndpointUrl('http://example.org/hook', prod)).toBe('must use https');
    expect(checkEndpointUrl('https://example.org/hook', prod)).toBeUndefined();
    expect(checkEndpointUrl('http://example.org/hook', dev)).toBeUndefined();
  });
  it('refuses private, metadata and loopback literals (loopback allowed in dev mode)', () => {
    expect(checkEndpointUrl('https://10.0.0.5/x', prod)).toMatch(/private/);
    expect(checkEndpointUrl('https://169.254.169.254/latest', dev)).toMatch(/metadata/);
    expect(checkEndpointUrl('https://[::ffff:192.168.0.1]/x', prod)).toMatch(/private/);
    expect(checkEndpointUrl('https://127.0.0.1/x', prod)).toMatch(/loopback/);
    expect(checkEndpointUrl('http://127.0.0.1:9000/x', dev)).toBeUndefined();
    expect(checkEndpointUrl('https://localhost/x', prod)).toMatch(/loopback/);
  });
  it('normalises odd IPv4 notations before judging them', () => {
    // WHATWG URL parsing turns these into dotted quads: 2130706433 and 0x7f.1 are 127.0.0.1.
    expect(checkEndpointUrl('https://2130706433/x', prod)).toMatch(/loopback/);
    expect(checkEndpointUrl('https://0x7f.1/x', prod)).toMatch(/loopback/);
    expect(checkEndpointUrl('https://012.0.0.1/x', prod)).toMatch(/private/);
  });
  it('refuses IPv4 addresses spelled as IPv6 (NAT64, 6to4, compatible, site-local)', () => {
    expect(checkEndpointUrl('https://[64:ff9b::10.0.0.1]/x', prod)).toMatch(/private/);
    expect(checkEndpointUrl('https://[64:ff9b:1::a00:1]/x', prod)).toMatch(/private/);
    expect(checkEndpointUrl('https://[::127.0.0.1]/x', prod)).toMatch(/loopback/);
    expect(checkEndpointUrl('https://[2002:a9fe:a9fe::]/x', dev)).toMatch(/metadata/);
    expect(checkEndpointUrl('https://[fec0::1]/x', prod)).toMatch(/private/);
    expect(checkEndpointUrl('https://[2001:db8::1]/x', prod)).toMatch(/reserved/);
    expect(checkEndpointUrl('https://[64:ff9b::808:808]/x', prod)).toBeUndefined();
  });
  it('refuses loopback names in every spelling outside dev mode', () => {
    for (const host of ['localhost.', 'LOCALHOST..', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback', 'a.localhost.', 'box.localdomain']) {
      expect(checkEndpointUrl(`https://${host}/x`, prod), host).toMatch(/loopback/);
      expect(checkEndpointUrl(`http://${host}/x`, dev), host).toBeUndefined();
    }
    expect(checkEndpointUrl('https://127.0.0.1./x', prod)).toMatch(/loopback/);
    expect(checkEndpointUrl('https://example.org./x', prod)).toBeUndefined();
  });
  it('refuses credentials and garbage', () => {
    expect(checkEndpointUrl('https://u:p@example.org/', prod)).toMatch(/credentials/);
    expect(checkEndpointUrl('not a url', prod)).toMatch(/not a valid URL/);
    expect(checkEndpointUrl('ftp://example.org/', prod)).toMatch(/https/);
  });
});

describe('endpoint allowlist', () => {
  it.each([
    ['Partner.Example.ORG', 'partner.example.org'],
    ['localhost', 'localhost'],
    ['10.1.2.3', '10.1.2.3'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['FD12:0:0::1', 'fd12::1'],
    ['fd12::1/16', 'fd12::/16'],
    ['::ffff:10.0.0.7', '10.0.0.7'],
    ['127.0.0.1/32', '127.0.0.1/32'],
  ])('normalises %s to %s', (raw, normal) => {
    expect(normaliseAllowPattern(raw)).toBe(normal);
  });

  it.each(['', 'http://x', 'a..b', '-x.org', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/x', '1.2.3', 'under_score.org', 'x'.repeat(64)])('refuses %j', (raw) => {
    expect(normaliseAllowPattern(raw)).toBeUndefined();
  });

  it('matches exact hosts, IPs (IPv4-mapped too) and CIDR blocks of the same family', () => {
    const list = ['partner.internal', '10.0.0.0/8', '192.168.1.5', 'fd12::/16'];
    expect(allowlistMatches('partner.internal', list)).toBe(true);
    expect(allowlistMatches('sub.partner.internal', list)).toBe(false);
    expect(allowlistMatches('10.200.3.4', list)).toBe(true);
    expect(allowlistMatches('11.0.0.1', list)).toBe(false);
    expect(allowlistMatches('192.168.1.5', list)).toBe(true);
    expect(allowlistMatches('192.168.1.6', list)).toBe(false);
    expect(allowlistMatches('::ffff:10.1.1.1', list)).toBe(true);
    expect(allowlistMatches('fd12:abcd::1', list)).toBe(true);
    expect(allowlistMatches('fd13::1', list)).toBe(false);
    expect(allowlistMatches('10.0.0.1', ['0.0.0.0/0'])).toBe(true);
    expect(allowlistMatches('fd12::1', ['0.0.0.0/0'])).toBe(false);
  });

  it('lifts the address rules for allowlisted hosts, never the https rule', () => {
    const prod = { devMode: false, allowlist: ['10.0.0.0/8', 'localhost', '169.254.169.254'] };
    expect(checkEndpointUrl('https://10.9.8.7/hook', prod)).toBeUndefined();
    expect(checkEndpointUrl('https://localhost/hook', prod)).toBeUndefined();
    expect(checkEndpointUrl('https://169.254.169.254/x', prod)).toBeUndefined();
    expect(checkEndpointUrl('https://192.168.0.1/hook', prod)).toMatch(/private/);
    expect(checkEndpointUrl('http://10.9.8.7/hook', prod)).toBe('must use https');
  });

  it('marks blocks that would switch the guard off as too broad', () => {
    for (const raw of ['0.0.0.0/0', '10.0.0.0/7', '::/0', '::/6', '::/8', '::/96', '::/95', '64:ff9b::/32', '2002::/16', '2000::/3', '2000::/8']) {
      const pattern = normaliseAllowPattern(raw) as string;
      expect(allowPatternTooBroad(pattern), raw).toBeDefined();
    }
    for (const raw of ['10.0.0.0/8', '172.16.0.0/12', '192.168.1.0/24', 'fc00::/7', 'fd12::/16', '64:ff9b::a00:0/104', '2002:a00::/24', 'partner.internal', '10.1.2.3']) {
      const pattern = normaliseAllowPattern(raw) as string;
      expect(allowPatternTooBroad(pattern), raw).toBeUndefined();
    }
  });
});
