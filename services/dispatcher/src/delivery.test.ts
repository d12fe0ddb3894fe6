import { describe, expect, it } from 'vitest';
import { buildDeliveryRequest, classifyResult } from './delivery.ts';
import { verifySignature } from './signature.ts';
import { testRoom, testSub } from './test-routes.ts';

const sub = testSub();
const room = testRoom();

describe('buildDeliveryRequest', () => {
  const req = buildDeliveryRequest(
    sub,
    room,
    {
      headers: { id: 'e-1', eventType: 'newBirth', publisher: 'DEV/GOV/MOH/clinic', time: '2026-11-22T10:00:00.000Z', priority: 'NORMAL', classification: 'INTERNAL', schemaId: 3 },
      key: 'mother-1',
      partition: 2,
      offset: '41',
      payload: '{"weight":3200}',
    },
    1_800_000_000_000,
  );

  it('sends the GovStack EventItem with Roomcast fields', () => {
    expect(JSON.parse(req.body)).toEqual({
      id: 'e-1',
      sequence: 41,
      partition: 2,
      publisherId: { instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'clinic' },
      eventType: 'newBirth',
      room: 'DEV/GOV/MOH/births',
      key: 'mother-1',
      time: '2026-11-22T10:00:00.000Z',
      priority: 'NORMAL',
      event: { weight: 3200 },
    });
  });

  it('signs with Standard Webhooks headers and adds CloudEvents headers', () => {
    expect(req.headers['webhook-id']).toBe('e-1');
    expect(req.headers['webhook-timestamp']).toBe('1800000000');
    expect(verifySignature(sub.signingSecrets[0]?.secret ?? '', 'e-1', 1_800_000_000, req.body, req.headers['webhook-signature'] ?? '')).toBe(true);
    expect(req.headers['ce-id']).toBe('e-1');
    expect(req.headers['ce-type']).toBe('newBirth');
    expect(req.headers['ce-source']).toBe('/r1/DEV/GOV/MOH/births');
    expect(req.headers['ce-subject']).toBe('mother-1');
  });
});

describe('signing during a secret rotation', () => {
  const previous = 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=';
  const rotating = testSub({ signingSecrets: [...sub.signingSecrets, { secret: previous, notAfter: new Date(1_800_000_060_000).toISOString() }] });
  const record = {
    headers: { id: 'e-2', eventType: 'newBirth', publisher: 'DEV/GOV/MOH/clinic', time: '2026-11-22T10:00:00.000Z', priority: 'NORMAL', classification: 'INTERNAL', schemaId: 3 },
    key: null,
    partition: 0,
    offset: '1',
    payload: '{}',
  } as const;

  it('signs with both secrets during the overlap, and with the new one only after it', () => {
    const during = buildDeliveryRequest(rotating, room, record, 1_800_000_000_000);
    const header = during.headers['webhook-signature'] ?? '';
    expect(header.split(' ')).toHaveLength(2);
    for (const s of [sub.signingSecrets[0]?.secret ?? '', previous]) expect(verifySignature(s, 'e-2', 1_800_000_000, during.body, header)).toBe(true);

    const after = buildDeliveryRequest(rotating, room, record, 1_800_000_060_000);
    const single = after.headers['webhook-signature'] ?? '';
    expect(single.split(' ')).toHaveLength(1);
    expect(verifySignature(previous, 'e-2', 1_800_000_060, after.body, single)).toBe(false);
  });
});

describe('outcomes and back-off', () => {
  it('classifies statuses and transport errors', () => {
    const st = (status: number, retryAfter: string | null = null) => classifyResult({ status, retryAfter });
    expect(st(204)).toEqual({ kind: 'delivered', status: 204 });
    expect(st(503, '7')).toEqual({ kind: 'retry', reason: 'HTTP 503', status: 503, retryAfter: '7' });
    expect(st(429).kind).toBe('retry');
    expect(st(408).kind).toBe('retry');
    expect(st(400)).toEqual({ kind: 'failed', reason: 'HTTP 400', status: 400, disable: false });
    expect(st(410)).toEqual({ kind: 'failed', reason: 'HTTP 410', status: 410, disable: true });
    expect(st(301).kind).toBe('failed');
    expect(classifyResult({ error: 'ECONNREFUSED' }).kind).toBe('retry');
    expect(classifyResult({ error: 'UND_ERR_HEADERS_TIMEOUT' }).kind).toBe('retry');
    expect(classifyResult({ error: 'SSRF_BLOCKED' }).kind).toBe('failed');
  });
});
