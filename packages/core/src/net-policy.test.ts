import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, classifyAddress } from './net-policy.ts';

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
