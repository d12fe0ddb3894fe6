/**
 * mTLS as a second way in, against the real services: the platform runs its HTTPS listener
 * with a client CA generated here; a certificate from that CA naming an approved application
 * (subject CN or URI SAN) authenticates as it at the ingress and the control plane, without an
 * API key. Certificates from another CA, for unknown or unapproved applications, are refused.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../../scripts/lib/demo.ts';
import { type Api, apiAs, outcome } from '../support/api-as.ts';
import { makeTestPki, type Pem, type TestPki } from '../support/pki.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const A = '/api/admin/v1';
let t: TestPlatform;
let pki: TestPki;
let tlsUrl: string;
let admin: Api;
let publisherKey: string;
const agents: Agent[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  t = await startTestPlatform('mtls', {
    ROOMCAST_TLS_CERT_FILE: pki.serverCertFile,
    ROOMCAST_TLS_KEY_FILE: pki.serverKeyFile,
    ROOMCAST_TLS_CLIENT_CA_FILE: pki.caFile,
    ROOMCAST_TLS_PORT: '0',
  });
  tlsUrl = t.platform.tlsUrl as string;
  publisherKey = (await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused')).publisherKey;
  admin = apiAs(t.platform.url, t.adminKey);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await t?.cleanup();
  pki?.remove();
});

/** Calls the HTTPS listener, trusting the test CA for the server, presenting `client` if given. */
async function https(client: Pem | undefined, method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) {
  const agent = new Agent({ connect: { ca: pki.caPem, ...(client ? { cert: client.cert, key: client.key } : {}) } });
  agents.push(agent);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await undiciFetch(`${tlsUrl}${path}`, { method, headers, dispatcher: agent, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const publishPath = `${DEMO.roomPath}/pub/v1/${DEMO.eventType}`;
const event = { eventType: DEMO.eventType, event: DEMO.sampleEvent };
const publishAs = (client: Pem | undefined, govstackClient: string, headers: Record<string, string> = {}) =>
  https(client, 'POST', publishPath, { body: event, headers: { 'x-govstack-client': govstackClient, ...headers } });

describe('a client certificate from the configured CA', () => {
  it('publishes through the GovStack route as the application its CN names, without an API key', async () => {
    const clinic = pki.client('clinic', { cn: DEMO.publisherClient });
    const res = await publishAs(clinic, DEMO.publisherClient);
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const me = await https(clinic, 'GET', `${A}/me`);
    expect(me.body).toMatchObject({ role: 'APPLICATION', clientId: DEMO.publisherClient, member: 'DEV/GOV/MOH' });
    expect(me.body.keyId).toMatch(/^cert:[0-9a-f]{16}$/);
  });

  it('is held to its own X-GovStack-Client', async () => {
    const clinic = pki.client('clinic2', { cn: DEMO.publisherClient });
    expect(outcome(await publishAs(clinic, DEMO.subscriberClient))).toEqual([403, 'auth.client_mismatch']);
  });

  it('may name its application in a URI SAN instead', async () => {
    const registry = pki.client('registry', { cn: 'births-registry.example', uriSan: DEMO.subscriberClient });
    expect((await https(registry, 'GET', `${A}/me`)).body.clientId).toBe(DEMO.subscriberClient);
    // Authenticated as the registry, which has no publisher contract.
    expect(outcome(await publishAs(registry, DEMO.subscriberClient))).toEqual([403, 'publish.not_allowed']);
  });
});

describe('refused certificates', () => {
  it('answers a certificate from another CA with auth.client_certificate_invalid', async () => {
    const forged = pki.rogue('forged', DEMO.publisherClient);
    expect(outcome(await publishAs(forged, DEMO.publisherClient))).toEqual([401, 'auth.client_certificate_invalid']);
    expect(outcome(await https(forged, 'GET', `${A}/me`))).toEqual([401, 'auth.client_certificate_invalid']);
  });

  it('answers a certificate naming no registered application the same way', async () => {
    const stranger = pki.client('stranger', { cn: 'DEV/GOV/MOH/not-registered' });
    expect(outcome(await publishAs(stranger, 'DEV/GOV/MOH/not-registered'))).toEqual([401, 'auth.client_certificate_invalid']);
    expect(outcome(await https(stranger, 'GET', `${A}/me`))).toEqual([401, 'auth.client_certificate_invalid']);
    const noClientId = pki.client('hostname', { cn: 'clinic-a.example' });
    expect(outcome(await https(noClientId, 'GET', `${A}/me`))).toEqual([401, 'auth.client_certificate_invalid']);
  });

  it('authenticates a PENDING application only once a global admin approves it', async () => {
    const moh = (await admin('GET', `${A}/members`)).body.members.find((m: { member: string }) => m.member === 'DEV/GOV/MOH');
    const mohAdmin = apiAs(t.platform.url, (await admin('POST', `${A}/members/${moh.id}/keys`)).body.apiKey);
    const applied = await mohAdmin('POST', `${A}/members/${moh.id}/applications`, { code: 'lab' });
    const lab = pki.client('lab', { cn: 'DEV/GOV/MOH/lab' });
    expect(outcome(await https(lab, 'GET', `${A}/me`))).toEqual([403, 'auth.not_approved']);
    expect(outcome(await publishAs(lab, 'DEV/GOV/MOH/lab'))).toEqual([401, 'auth.client_certificate_invalid']);
    await admin('POST', `${A}/applications/${applied.body.id}/approve`);
    expect((await https(lab, 'GET', `${A}/me`)).body.clientId).toBe('DEV/GOV/MOH/lab');
    await expect.poll(async () => outcome(await publishAs(lab, 'DEV/GOV/MOH/lab'))).toEqual([403, 'publish.not_allowed']);
  });
});

describe('the HTTPS listener without a certificate', () => {
  it('needs an API key, which works as on the plain listener', async () => {
    expect(outcome(await publishAs(undefined, DEMO.publisherClient))).toEqual([401, 'auth.missing_credentials']);
    expect((await publishAs(undefined, DEMO.publisherClient, { authorization: `Bearer ${publisherKey}` })).status).toBe(201);
    expect(outcome(await https(undefined, 'GET', `${A}/me`, { headers: { authorization: `Bearer ${t.adminKey}` } }))).toEqual([200]);
  });

  it('leaves the plain HTTP listener as it was', async () => {
    expect(t.platform.url.startsWith('http://')).toBe(true);
    expect(tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(outcome(await apiAs(t.platform.url, undefined)('GET', `${A}/me`))).toEqual([401, 'auth.missing_credentials']);
  });
});
