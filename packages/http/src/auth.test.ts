import { TLSSocket } from 'node:tls';
import { hashApiKey, silentLogger } from '@roomcast/core';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type AuthOptions, authenticate, principalOf, requireGovStackClient } from './auth.ts';
import { certificateClientId, certificateId } from './client-cert.ts';
import { problemErrorHandler } from './problem.ts';

describe('certificateClientId', () => {
  it('reads the client id from the subject CN or a URI SAN', () => {
    expect(certificateClientId({ subject: { CN: 'DEV/GOV/MOH/clinic-a' } as never, subjectaltname: '' })).toBe('DEV/GOV/MOH/clinic-a');
    expect(certificateClientId({ subject: { CN: 'clinic-a.example' } as never, subjectaltname: 'DNS:clinic-a.example, URI:DEV/GOV/MOH/clinic-a' })).toBe('DEV/GOV/MOH/clinic-a');
    expect(certificateClientId({ subject: { CN: 'DEV/GOV/MOH/clinic-a' } as never, subjectaltname: 'URI:DEV/GOV/MOH/clinic-a' })).toBe('DEV/GOV/MOH/clinic-a');
  });

  it('names nothing when no value is a client id or two different ones are', () => {
    expect(certificateClientId({ subject: { CN: 'clinic-a.example' } as never, subjectaltname: 'DNS:x' })).toBeUndefined();
    expect(certificateClientId({ subject: { CN: 'DEV/GOV/MOH' } as never, subjectaltname: undefined as never })).toBeUndefined();
    expect(certificateClientId({ subject: { CN: 'DEV/GOV/MOH/a' } as never, subjectaltname: 'URI:DEV/GOV/MOH/b' })).toBeUndefined();
    expect(certificateClientId({ subject: { CN: ['DEV/GOV/MOH/a', 'DEV/GOV/MOH/b'] } as never, subjectaltname: '' })).toBeUndefined();
    expect(certificateClientId({ subject: {} as never, subjectaltname: 'URI:"DEV/GOV/MOH/a, URI:x"' })).toBeUndefined();
  });

  it('ids a certificate by a short prefix of its fingerprint', () => {
    expect(certificateId('AB:CD:EF:01:23:45:67:89:AB:CD:EF')).toBe('cert:abcdef0123456789');
  });
});

/** A stand-in for the TLS socket @hono/node-server exposes as c.env.incoming.socket. */
function tlsEnv(cert: { cn: string; verified: boolean }) {
  const socket = Object.create(TLSSocket.prototype) as TLSSocket;
  Object.defineProperty(socket, 'authorized', { value: cert.verified });
  Object.defineProperty(socket, 'authorizationError', { value: cert.verified ? null : 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  Object.defineProperty(socket, 'getPeerCertificate', {
    value: () => ({ raw: Buffer.from('der'), subject: { CN: cert.cn }, subjectaltname: undefined, fingerprint256: '0A:1B:2C:3D:4E:5F:60:71:82:93' }),
  });
  return { incoming: { socket } };
}

const KEY = 'rck_known';
function app(options: AuthOptions) {
  const a = new Hono();
  a.onError(problemErrorHandler(silentLogger));
  a.use(
    '*',
    authenticate((hash) => (hash === hashApiKey(KEY) ? { role: 'MEMBER_ADMIN', keyId: 'key_1', member: 'DEV/GOV/MOH' } : undefined), options),
  );
  a.get('/who', (c) => c.json(principalOf(c)));
  a.get('/govstack', (c) => c.json({ client: requireGovStackClient(c) }));
  return a;
}
const withCertificates = app({ certificate: (clientId) => (clientId === 'DEV/GOV/MOH/clinic-a' ? { role: 'APPLICATION', clientId, member: 'DEV/GOV/MOH' } : undefined) });

async function outcome(res: Response): Promise<[number, string]> {
  const body = (await res.json()) as { code?: string; role?: string };
  return [res.status, body.code ?? body.role ?? ''];
}

describe('authenticate', () => {
  it('accepts a known API key and refuses unknown or missing credentials', async () => {
    expect(await outcome(await withCertificates.request('/who', { headers: { authorization: `Bearer ${KEY}` } }))).toEqual([200, 'MEMBER_ADMIN']);
    expect(await outcome(await withCertificates.request('/who', { headers: { 'x-api-key': KEY } }))).toEqual([200, 'MEMBER_ADMIN']);
    expect(await outcome(await withCertificates.request('/who', { headers: { authorization: 'Bearer rck_nope' } }))).toEqual([401, 'auth.invalid_credentials']);
    expect(await outcome(await withCertificates.request('/who'))).toEqual([401, 'auth.missing_credentials']);
  });

  it('accepts a verified client certificate naming a known application, with the certificate as key id', async () => {
    const res = await withCertificates.request('/who', {}, tlsEnv({ cn: 'DEV/GOV/MOH/clinic-a', verified: true }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ role: 'APPLICATION', clientId: 'DEV/GOV/MOH/clinic-a', member: 'DEV/GOV/MOH', keyId: 'cert:0a1b2c3d4e5f6071' });
  });

  it('refuses unverified, unknown and unaccepted certificates with auth.client_certificate_invalid', async () => {
    const cases: Array<[Hono, ReturnType<typeof tlsEnv>]> = [
      [withCertificates, tlsEnv({ cn: 'DEV/GOV/MOH/clinic-a', verified: false })],
      [withCertificates, tlsEnv({ cn: 'DEV/GOV/MOH/stranger', verified: true })],
      [withCertificates, tlsEnv({ cn: 'not a client id', verified: true })],
      [app({}), tlsEnv({ cn: 'DEV/GOV/MOH/clinic-a', verified: true })],
    ];
    for (const [a, env] of cases) expect(await outcome(await a.request('/who', {}, env))).toEqual([401, 'auth.client_certificate_invalid']);
  });

  it('lets an API key decide when both are presented', async () => {
    const res = await withCertificates.request('/who', { headers: { authorization: 'Bearer rck_nope' } }, tlsEnv({ cn: 'DEV/GOV/MOH/clinic-a', verified: true }));
    expect(await outcome(res)).toEqual([401, 'auth.invalid_credentials']);
  });

  it('holds a certificate-authenticated application to its own X-GovStack-Client', async () => {
    const env = tlsEnv({ cn: 'DEV/GOV/MOH/clinic-a', verified: true });
    expect(await (await withCertificates.request('/govstack', { headers: { 'x-govstack-client': 'DEV/GOV/MOH/clinic-a' } }, env)).json()).toEqual({ client: 'DEV/GOV/MOH/clinic-a' });
    expect(await outcome(await withCertificates.request('/govstack', { headers: { 'x-govstack-client': 'DEV/GOV/MOH/other' } }, env))).toEqual([403, 'auth.client_mismatch']);
  });
});
