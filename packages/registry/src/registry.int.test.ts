/** Against the real registry (Apicurio's Confluent-compatible API): register, read back, evolve. */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../scripts/infra/config.ts';
import { createRegistry, RegistryError } from './registry.ts';

const registry = createRegistry({ url: infraEndpoints().registryUrl });
const subject = () => `t_registry_${randomBytes(6).toString('hex')}-value`;
const v1 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  // A closed content model: under BACKWARD, adding an optional property is then compatible
  // (with an open model the registry rightly calls it a narrowing).
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
};

describe('schema registry doorway', () => {
  it('registers a JSON Schema and reads it back by its global id', async () => {
    const s = subject();
    const id = await registry.registerJsonSchema(s, v1);
    expect(id).toBeGreaterThan(0);
    expect(await registry.getJsonSchema(id)).toEqual(v1);
    // Registering the identical schema again answers the same id.
    expect(await registry.registerJsonSchema(s, v1)).toBe(id);
    // The client library compiles the schema it reads by id and validates with it.
    expect(await registry.libraryValidates(id, { id: 'a', at: '2026-11-22T10:00:00Z' })).toBe(true);
    expect(await registry.libraryValidates(id, { at: 'not a date' })).toBe(false);
  });

  it('accepts a backward-compatible change and refuses an incompatible one with the reason', async () => {
    const s = subject();
    const id1 = await registry.registerJsonSchema(s, v1);
    const v2 = { ...v1, properties: { ...v1.properties, note: { type: 'string' } } };
    const id2 = await registry.registerJsonSchema(s, v2);
    expect(id2).not.toBe(id1);
    const breaking = { ...v1, required: ['id', 'mandatoryNew'], properties: { ...v1.properties, mandatoryNew: { type: 'integer' } } };
    const err = await registry.registerJsonSchema(s, breaking).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(409);
  });

  it('names the version it registered, quotes the reason of a refusal, and soft-deletes a subject', async () => {
    const s = subject();
    expect(await registry.registerVersion(s, v1)).toMatchObject({ version: 1 });
    const v2 = await registry.registerVersion(s, { ...v1, properties: { ...v1.properties, note: { type: 'string' } } });
    expect(v2.version).toBe(2);
    // Retyping a property breaks readers of older events: refused, with the registry's reason.
    const retyped = { ...v1, properties: { ...v1.properties, id: { type: 'integer' } } };
    const err = (await registry.registerVersion(s, retyped).catch((e: unknown) => e)) as RegistryError;
    expect(err.status).toBe(409);
    expect(err.reason).toMatch(/^Incompatible artifact: .*diff types/);
    expect(await registry.deleteSubject(s)).toBe(true);
    expect(await registry.deleteSubject(s)).toBe(false);
    // Deleted versions no longer take part in compatibility, but stay readable by id.
    expect((await registry.registerVersion(s, retyped)).version).toBe(3);
    expect(await registry.getJsonSchema(v2.id)).toMatchObject({ properties: { note: { type: 'string' } } });
  });

  it('reports an unknown id as a 404', async () => {
    const err = await registry.getJsonSchema(2_000_000_000).catch((e: unknown) => e);
    expect((err as RegistryError).status).toBe(404);
  });
});

/**
 * A loopback gate in front of the real registry that lets through only one Authorization value,
 * as a registry with basic auth or an OIDC gateway would.
 */
async function authGate(expected: string) {
  const target = new URL(infraEndpoints().registryUrl);
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.headers.authorization === expected ? 'ok' : 'refused'}`);
    if (req.headers.authorization !== expected) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}');
    // A fresh upstream connection per request (no pooled socket the registry may have closed),
    // and an upstream failure answered as a 502 rather than left hanging.
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host }, agent: false },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"message":"upstream failed"}');
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`;
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return { url, seen, close };
}

describe('registry time limit', () => {
  it('gives up on a registry that accepts the connection and never answers, for our calls and the library’s', async () => {
    const held: ServerResponse[] = [];
    const silent = createServer((_req, res) => void held.push(res));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/apis/ccompat/v7`;
    try {
      const slow = createRegistry({ url, timeoutMs: 300 });
      const started = Date.now();
      // Registration goes through the client library, reading by id through our own fetch…
      // …and a registry that does not answer is unavailable (no status), never a refusal of the schema (4xx).
      const err = (await slow.registerJsonSchema(subject(), v1).catch((e: unknown) => e)) as RegistryError;
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.status).toBeUndefined();
      await expect(slow.getJsonSchema(1)).rejects.toThrow();
      // The library retries twice with back-off: a few time limits, far from a hang.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(held.length).toBeGreaterThanOrEqual(2);
      // A registry whose port refuses connections is unavailable too.
      const refused = (await createRegistry({ url: 'http://127.0.0.1:1/apis/ccompat/v7', timeoutMs: 300 })
        .registerJsonSchema(subject(), v1)
        .catch((e: unknown) => e)) as RegistryError;
      expect(refused).toBeInstanceOf(RegistryError);
      expect(refused.status).toBeUndefined();
    } finally {
      await new Promise<void>((r) => {
        silent.close(() => r());
        silent.closeAllConnections();
      });
    }
  });
});

describe('registry authentication', () => {
  it.each([
    ['basic auth', { username: 'roomcast', password: 's3cret' }, `Basic ${Buffer.from('roomcast:s3cret').toString('base64')}`],
    ['a bearer token', { token: 'tok-123' }, 'Bearer tok-123'],
  ] as const)('sends %s on its own calls and the client library’s', async (_, auth, header) => {
    const gate = await authGate(header);
    try {
      const s = subject();
      await expect(createRegistry({ url: gate.url }).registerJsonSchema(s, v1)).rejects.toMatchObject({ status: 401 });
      const authed = createRegistry({ url: gate.url, auth });
      const id = await authed.registerJsonSchema(s, v1);
      expect(await authed.getJsonSchema(id)).toEqual(v1);
      await authed.probe();
      expect(gate.seen.filter((x) => x.endsWith('ok')).length).toBeGreaterThanOrEqual(3);
    } finally {
      await gate.close();
    }
  });
});
