import { describe, expect, it } from 'vitest';
import { allowlistMatches, checkEndpointUrl, classifyAddress, normaliseAllowPattern } from './net-policy.ts';

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
});
