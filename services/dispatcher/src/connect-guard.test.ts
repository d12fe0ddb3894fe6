import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GuardPolicy, guardedAgent, type Resolver, refusal } from './connect-guard.ts';

// A loopback server stands in for every endpoint: nothing here connects anywhere else.
let server: Server;
let port: number;
let connections = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    else res.writeHead(204).end();
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const policy = (p: Partial<GuardPolicy> = {}): GuardPolicy => ({ allowLoopback: false, allowlist: () => [], ...p });
const fixed =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function post(url: string, p: GuardPolicy, resolve?: Resolver): Promise<{ status?: number; code?: string }> {
  const agent = guardedAgent({ policy: p, connections: 2, ...(resolve ? { resolve } : {}) });
  try {
    const res = await request(url, { method: 'POST', body: '{}', dispatcher: agent });
    await res.body.dump();
    return { status: res.statusCode };
  } catch (err) {
    return { code: (err as { code?: string }).code };
  } finally {
    await agent.close();
  }
}

describe('connect guard', () => {
  it('refuses names that resolve to private, metadata, link-local or mapped addresses, before any socket', async () => {
    const before = connections;
    const embedded = ['64:ff9b::a00:1', '64:ff9b:1::a00:1', '::a00:1', '::7f00:1', '2002:a9fe:a9fe::1', 'fec0::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '::ffff:0:a00:1'];
    for (const bad of ['10.0.0.5', '169.254.169.254', '169.254.10.1', '::ffff:10.0.0.1', 'fd00::1', '0.0.0.0', '192.168.1.1', '172.16.0.1', ...embedded]) {
      expect(await post(`http://hooks.test:${port}/`, policy(), fixed(bad)), bad).toEqual({ code: 'SSRF_BLOCKED' });
    }
    // One bad address among good ones is enough to refuse: the connection could land on it.
    expect(await post(`http://hooks.test:${port}/`, policy({ allowLoopback: true }), fixed('127.0.0.1', '10.0.0.5'))).toEqual({ code: 'SSRF_BLOCKED' });
    expect(connections).toBe(before);
  });

  it('refuses IP literals and odd notations of them in the URL', async () => {
    const before = connections;
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      `http://127.0.0.1:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f.1:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://127.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::1]:${port}/`,
      `http://[64:ff9b::127.0.0.1]:${port}/`,
      `http://[::127.0.0.1]:${port}/`,
      `http://[2002:7f00:1::]:${port}/`,
      `http://[64:ff9b::a9fe:a9fe]/latest/meta-data/`,
    ]) {
      expect(await post(url, policy()), url).toEqual({ code: 'SSRF_BLOCKED' });
    }
    expect(connections).toBe(before);
  });

  it('connects to loopback in development and to allowlisted addresses, on the checked address', async () => {
    expect(await post(`http://hooks.test:${port}/`, policy({ allowLoopback: true }), fixed('127.0.0.1'))).toEqual({ status: 204 });
    expect(await post(`http://hooks.test:${port}/`, policy({ allowlist: () => ['127.0.0.0/8'] }), fixed('127.0.0.1'))).toEqual({ status: 204 });
    expect(await post(`http://hooks.test:${port}/`, policy({ allowlist: () => ['hooks.test'] }), fixed('127.0.0.1'))).toEqual({ status: 204 });
    expect(await post(`http://127.0.0.1:${port}/`, policy({ allowLoopback: true }))).toEqual({ status: 204 });
  });

  it('does not follow redirects', async () => {
    expect(await post(`http://127.0.0.1:${port}/redirect`, policy({ allowLoopback: true }))).toEqual({ status: 302 });
  });

  it('explains a refusal', () => {
    expect(refusal('h', '100.64.0.1', policy())).toBe('h resolves to a private address');
    expect(refusal('h', '8.8.8.8', policy())).toBeUndefined();
  });
});
