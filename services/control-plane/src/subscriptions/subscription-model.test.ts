import { compileBodySchema, fieldErrors } from '@roomcast/http';
import { describe, expect, it } from 'vitest';
import {
  contractSecrets,
  defaultSettings,
  filterErrors,
  identityErrors,
  itemBodySchema,
  mergeSettings,
  renderItem,
  rotateSecret,
  type Settings,
  settingsErrors,
} from './subscription-model.ts';

const subscriber = { instance: 'DEV', memberClass: 'GOV', memberCode: 'REG', application: 'app' };
const push: Settings = { ...defaultSettings(), pushUrl: 'https://hooks.example.org/x' };

function validate(kind: 'create' | 'update', body: unknown) {
  const check = compileBodySchema(itemBodySchema(kind));
  return check(body) ? [] : fieldErrors(check.errors);
}

describe('SubscriptionItem body schema', () => {
  it('accepts a spec item and fills the spec defaults on create', () => {
    const body: Record<string, unknown> = { eventType: 'newBirth', options: { pushUrl: 'https://x.org' } };
    expect(validate('create', body)).toEqual([]);
    expect(body.delivery).toBe('PUSH');
    expect(body.options).toMatchObject({ TTL: 3600, FIFO: false, timeoutMs: 10_000 });
  });

  it('fills nothing in on update, so a PATCH changes only what it names', () => {
    const body: Record<string, unknown> = { options: { FIFO: true } };
    expect(validate('update', body)).toEqual([]);
    expect(body).toEqual({ options: { FIFO: true } });
  });

  it('names each refused field: read-only state, unknown fields, out-of-bound numbers', () => {
    const errors = validate('create', {
      eventType: 'x',
      status: 'ACTIVE',
      approved: true,
      delivery: 'STREAM',
      options: { TTL: 0, maxInFlight: 1001, retry: { multiplier: 11, extra: 1 }, rateLimitPerSec: 0, signingSecret: 's' },
    });
    const pointers = errors.map((e) => e.pointer).sort();
    expect(pointers).toEqual([
      '/approved',
      '/delivery',
      '/options/TTL',
      '/options/maxInFlight',
      '/options/rateLimitPerSec',
      '/options/retry/extra',
      '/options/retry/multiplier',
      '/options/signingSecret',
      '/status',
    ]);
  });

  it('requires eventType on create only', () => {
    expect(validate('create', {}).map((e) => e.pointer)).toEqual(['/eventType']);
    expect(validate('update', {})).toEqual([]);
  });
});

describe('mergeSettings and settingsErrors', () => {
  it('overrides only the fields sent, retry policy field by field', () => {
    const merged = mergeSettings(push, { options: { TTL: 60, retry: { maxDelayMs: 5000 } } });
    expect(merged).toEqual({ ...push, ttlSeconds: 60, maxDelayMs: 5000 });
  });

  it('clears the rate limit with null and keeps it when absent', () => {
    const limited = mergeSettings(push, { options: { rateLimitPerSec: 5 } });
    expect(mergeSettings(limited, {}).rateLimitPerSec).toBe(5);
    expect(mergeSettings(limited, { options: { rateLimitPerSec: null } }).rateLimitPerSec).toBeNull();
  });

  it('keeps the push URL when switching to PULL, and needs one for PUSH', () => {
    const pull = mergeSettings(push, { delivery: 'PULL' });
    expect(pull).toMatchObject({ mode: 'PULL', pushUrl: push.pushUrl });
    expect(settingsErrors(pull)).toEqual([]);
    expect(settingsErrors(defaultSettings())).toEqual([{ pointer: '/options/pushUrl', message: 'is required for PUSH delivery' }]);
    expect(settingsErrors({ ...defaultSettings(), mode: 'PULL' })).toEqual([]);
  });

  it('sets, keeps and removes the filter', () => {
    const filter = { eq: { 'data.status': 'final' } };
    const filtered = mergeSettings(push, { options: { filter } });
    expect(filtered.filter).toEqual(filter);
    expect(mergeSettings(filtered, { options: { TTL: 60 } }).filter).toEqual(filter);
    expect(mergeSettings(filtered, { options: { filter: null } }).filter).toBeNull();
    expect(defaultSettings().filter).toBeNull();
  });

  it('refuses a maximum delay below the initial delay, also when a PATCH lowers one of them', () => {
    const errors = settingsErrors(mergeSettings(push, { options: { retry: { maxDelayMs: 500 } } }));
    expect(errors).toEqual([{ pointer: '/options/retry/maxDelayMs', message: 'must be at least initialDelayMs (1000)' }]);
  });
});

describe('identityErrors', () => {
  const expected = { id: 'sub_1', subscriber, eventType: 'newBirth' };
  it('accepts the item echoed back unchanged', () => {
    const echoed = { id: 'sub_1', eventType: 'newBirth', subscriberId: { instanceId: 'DEV', memberClass: 'GOV', memberCode: 'REG', applicationCode: 'app' } };
    expect(identityErrors(echoed, expected)).toEqual([]);
  });

  it('names each field that does not describe this subscription', () => {
    const errors = identityErrors({ id: 'sub_2', eventType: 'death', subscriberId: { memberCode: 'MOH', applicationCode: 'app' } }, expected);
    expect(errors.map((e) => e.pointer)).toEqual(['/id', '/eventType', '/subscriberId/memberCode']);
  });

  it('refuses any id on create: Roomcast assigns it', () => {
    expect(identityErrors({ id: 'sub_1' }, { ...expected, id: undefined })).toEqual([{ pointer: '/id', message: 'is assigned by Roomcast; omit it' }]);
  });
});

describe('signing-secret rotation', () => {
  const now = new Date('2026-11-22T12:00:00.000Z');
  const initial = { signingSecret: 'whsec_a', previousSigningSecret: null, previousSecretExpiresAt: null };

  it('keeps the old secret signing for the overlap, then only the new one', () => {
    const rotated = rotateSecret(initial, 'whsec_b', 3600, now);
    expect(rotated).toEqual({ signingSecret: 'whsec_b', previousSigningSecret: 'whsec_a', previousSecretExpiresAt: new Date('2026-11-22T13:00:00.000Z') });
    expect(contractSecrets(rotated, now)).toEqual([
      { secret: 'whsec_b', notAfter: null },
      { secret: 'whsec_a', notAfter: '2026-11-22T13:00:00.000Z' },
    ]);
    expect(contractSecrets(rotated, new Date('2026-11-22T13:00:00.000Z'))).toEqual([{ secret: 'whsec_b', notAfter: null }]);
  });

  it('drops the old secret at once with no overlap, and keeps at most two', () => {
    expect(rotateSecret(initial, 'whsec_b', 0, now).previousSigningSecret).toBeNull();
    const twice = rotateSecret(rotateSecret(initial, 'whsec_b', 60, now), 'whsec_c', 60, now);
    expect(contractSecrets(twice, now).map((s) => s.secret)).toEqual(['whsec_c', 'whsec_b']);
  });
});

describe('filterErrors', () => {
  it('checks only a filter that was sent, with pointers under /options/filter', () => {
    expect(filterErrors({})).toEqual([]);
    expect(filterErrors({ options: { filter: null } })).toEqual([]);
    expect(filterErrors({ options: { filter: { all: [{ exists: 'data.a' }, { eq: { 'data.b': [1] } }] } } })).toEqual([
      { pointer: '/options/filter/all/1/eq/data.b', message: 'must be a string, a finite number, a boolean or null' },
    ]);
  });

  it('the body schema lets any object or null through to it, and nothing else', () => {
    expect(validate('update', { options: { filter: { eq: { type: 'x' } } } })).toEqual([]);
    expect(validate('update', { options: { filter: null } })).toEqual([]);
    expect(validate('update', { options: { filter: 'type = x' } }).map((e) => e.pointer)).toEqual(['/options/filter']);
  });
});

describe('renderItem', () => {
  it('answers the GovStack shape with extensions and no secret', () => {
    const at = new Date('2026-11-22T12:00:00.000Z');
    const stored = {
      ...push,
      id: 'sub_1',
      status: 'PENDING',
      statusReason: null,
      createdAt: at,
      updatedAt: at,
      approvedAt: null,
      signingSecret: 'whsec_a',
      previousSigningSecret: 'whsec_old',
      previousSecretExpiresAt: new Date('2026-11-22T11:00:00.000Z'),
    };
    const item = renderItem(stored, subscriber, 'newBirth', at);
    expect(item).toEqual({
      id: 'sub_1',
      subscriberId: { instanceId: 'DEV', memberClass: 'GOV', memberCode: 'REG', applicationCode: 'app' },
      eventType: 'newBirth',
      delivery: 'PUSH',
      options: {
        TTL: 3600,
        FIFO: false,
        pushUrl: 'https://hooks.example.org/x',
        retry: { maxAttempts: 50, initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2 },
        timeoutMs: 10_000,
        maxInFlight: 16,
        rateLimitPerSec: null,
      },
      status: 'PENDING',
      statusReason: null,
      previousSecretExpiresAt: null,
      createdAt: '2026-11-22T12:00:00.000Z',
      updatedAt: '2026-11-22T12:00:00.000Z',
      approvedAt: null,
    });
    expect(JSON.stringify(item)).not.toContain('whsec');
    expect(renderItem({ ...stored, filter: { exists: 'data.a' } }, subscriber, 'newBirth', at).options).toMatchObject({ filter: { exists: 'data.a' } });
  });
});
