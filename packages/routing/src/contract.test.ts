import { describe, expect, it } from 'vitest';
import { activeSecrets, indexContract, type RoutingContract } from './contract.ts';

const settings = {
  roomId: 'room_1',
  eventType: 'newBirth',
  signingSecrets: [{ secret: 's', notAfter: null }],
  fifo: false,
  ttlSeconds: 3600,
  retry: { maxAttempts: 50, initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2 },
  timeoutMs: 10_000,
  maxInFlight: 16,
  rateLimitPerSec: null,
};

const contract: RoutingContract = {
  generation: 7,
  createdAt: '2026-01-01T00:00:00.000Z',
  rooms: [
    {
      id: 'room_1',
      address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' },
      topic: 't',
      urgentTopic: 't.urgent',
      partitions: 3,
      eventTypes: [{ name: 'newBirth', schemaId: 4, keyPointer: '/mother', classification: 'PII', priority: 'NORMAL' }],
    },
  ],
  principals: [{ keyHash: 'h1', role: 'APPLICATION', clientId: 'DEV/GOV/MOH/clinic', member: 'DEV/GOV/MOH' }],
  applications: [{ clientId: 'DEV/GOV/MOH/clinic', member: 'DEV/GOV/MOH' }],
  publishers: [{ clientId: 'DEV/GOV/MOH/clinic', roomId: 'room_1', eventType: 'newBirth' }],
  subscriptions: [
    { ...settings, id: 'sub_1', clientId: 'DEV/GOV/REG/app', mode: 'PUSH', status: 'ACTIVE', pushUrl: 'https://x', group: 'g1' },
    { ...settings, id: 'sub_2', clientId: 'DEV/GOV/REG/b', mode: 'PULL', status: 'ACTIVE', pushUrl: null, fifo: true, group: 'g2' },
    { ...settings, id: 'sub_3', clientId: 'DEV/GOV/REG/c', mode: 'PUSH', status: 'PAUSED', pushUrl: 'https://y', group: 'g3' },
  ],
};

describe('indexContract', () => {
  const index = indexContract(contract);

  it('finds rooms by GovStack address and id, and event types by room', () => {
    const room = index.room({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' });
    expect(room?.id).toBe('room_1');
    expect(index.roomById('room_1')).toBe(room);
    expect(room && index.eventType(room, 'newBirth')?.schemaId).toBe(4);
    expect(room && index.eventType(room, 'death')).toBeUndefined();
    expect(index.room({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'deaths' })).toBeUndefined();
  });

  it('grants publishing only for the exact client, room and event type', () => {
    expect(index.mayPublish('DEV/GOV/MOH/clinic', 'room_1', 'newBirth')).toBe(true);
    expect(index.mayPublish('DEV/GOV/MOH/other', 'room_1', 'newBirth')).toBe(false);
    expect(index.mayPublish('DEV/GOV/MOH/clinic', 'room_1', 'death')).toBe(false);
    expect(index.publishesIn('DEV/GOV/MOH/clinic', 'room_1')).toBe(true);
    expect(index.publishesIn('DEV/GOV/MOH/other', 'room_1')).toBe(false);
  });

  it('resolves principals by key hash and lists active subscriptions by mode (paused ones stay out)', () => {
    expect(index.principal('h1')?.clientId).toBe('DEV/GOV/MOH/clinic');
    expect(index.principal('nope')).toBeUndefined();
    expect(index.subscriptions('PUSH').map((s) => s.id)).toEqual(['sub_1']);
    expect(index.subscriptions('PULL').map((s) => s.id)).toEqual(['sub_2']);
  });

  it('knows approved applications by client id, for client certificates', () => {
    expect(index.application('DEV/GOV/MOH/clinic')).toEqual({ clientId: 'DEV/GOV/MOH/clinic', member: 'DEV/GOV/MOH' });
    expect(index.application('DEV/GOV/MOH/other')).toBeUndefined();
  });
});

describe('activeSecrets', () => {
  const now = Date.parse('2026-11-22T12:00:00.000Z');
  it('keeps the current secret and a previous one until its notAfter', () => {
    const secrets = [
      { secret: 'new', notAfter: null },
      { secret: 'old', notAfter: '2026-11-22T12:00:01.000Z' },
    ];
    expect(activeSecrets(secrets, now)).toEqual(['new', 'old']);
    expect(activeSecrets(secrets, now + 1000)).toEqual(['new']);
    expect(activeSecrets(secrets, now + 86_400_000)).toEqual(['new']);
  });
});
