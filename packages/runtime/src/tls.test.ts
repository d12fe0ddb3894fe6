import { ConfigError } from '@roomcast/core';
import { describe, expect, it } from 'vitest';
import { tlsListener } from './tls.ts';

const files: Record<string, string> = { '/tls/cert.pem': 'CERT', '/tls/key.pem': 'KEY', '/tls/ca.pem': 'CA' };
const read = (path: string): Buffer => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  return Buffer.from(content);
};
const base = { ROOMCAST_TLS_CERT_FILE: undefined, ROOMCAST_TLS_KEY_FILE: undefined, ROOMCAST_TLS_CLIENT_CA_FILE: undefined, ROOMCAST_TLS_PORT: 8443 };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('tlsListener', () => {
  it('is off when nothing is set', () => {
    expect(tlsListener(base, read)).toBeUndefined();
  });

  it('reads the certificate, key and optional client CA', () => {
    const plain = tlsListener({ ...base, ROOMCAST_TLS_CERT_FILE: '/tls/cert.pem', ROOMCAST_TLS_KEY_FILE: '/tls/key.pem' }, read);
    expect(plain?.port).toBe(8443);
    expect(String(plain?.options.cert)).toBe('CERT');
    expect(plain?.options.clientCa).toBeUndefined();
    const mutual = tlsListener({ ...base, ROOMCAST_TLS_CERT_FILE: '/tls/cert.pem', ROOMCAST_TLS_KEY_FILE: '/tls/key.pem', ROOMCAST_TLS_CLIENT_CA_FILE: '/tls/ca.pem' }, read);
    expect(String(mutual?.options.clientCa)).toBe('CA');
  });

  it('reports half-set pairs, a CA without a listener and unreadable files, all at once', () => {
    expect(problemsOf(() => tlsListener({ ...base, ROOMCAST_TLS_CLIENT_CA_FILE: '/tls/ca.pem' }, read))).toEqual([expect.stringContaining('need the HTTPS listener')]);
    expect(problemsOf(() => tlsListener({ ...base, ROOMCAST_TLS_CERT_FILE: '/tls/cert.pem' }, read))).toEqual([expect.stringContaining('without ROOMCAST_TLS_KEY_FILE')]);
    const problems = problemsOf(() => tlsListener({ ...base, ROOMCAST_TLS_CERT_FILE: '/nope.pem', ROOMCAST_TLS_KEY_FILE: '/tls/key.pem', ROOMCAST_TLS_CLIENT_CA_FILE: '/gone.pem' }, read));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('ROOMCAST_TLS_CERT_FILE=/nope.pem cannot be read (ENOENT)');
    expect(problems[1]).toContain('ROOMCAST_TLS_CLIENT_CA_FILE=/gone.pem');
  });
});
