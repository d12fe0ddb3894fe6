import { describe, expect, it } from 'vitest';
import { deadLetterAccess } from './dead-letter-access.ts';

const sub = { clientId: 'DEV/GOV/REG/births-registry' };
const room = { address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' } };

describe('who may use a subscription’s dead letters', () => {
  it('the subscriber and its member admin: everything, payload included', () => {
    const all = { read: true, payload: true, act: true };
    expect(deadLetterAccess({ role: 'APPLICATION', clientId: sub.clientId }, sub, room)).toEqual(all);
    expect(deadLetterAccess({ role: 'MEMBER_ADMIN', member: 'DEV/GOV/REG' }, sub, room)).toEqual(all);
  });

  it('the central admin acts but does not read payloads; the room owner only reads metadata', () => {
    expect(deadLetterAccess({ role: 'GLOBAL_ADMIN' }, sub, room)).toEqual({ read: true, payload: false, act: true });
    expect(deadLetterAccess({ role: 'MEMBER_ADMIN', member: 'DEV/GOV/MOH' }, sub, room)).toEqual({ read: true, payload: false, act: false });
  });

  it('anyone else gets nothing (the route answers 404)', () => {
    const none = { read: false, payload: false, act: false };
    expect(deadLetterAccess({ role: 'APPLICATION', clientId: 'DEV/GOV/MOH/clinic-a' }, sub, room)).toEqual(none);
    expect(deadLetterAccess({ role: 'APPLICATION', clientId: 'DEV/GOV/REG/other-app' }, sub, room)).toEqual(none);
    expect(deadLetterAccess({ role: 'MEMBER_ADMIN', member: 'DEV/GOV/XYZ' }, sub, room)).toEqual(none);
    // A room gone from the contract gives its former owner nothing either.
    expect(deadLetterAccess({ role: 'MEMBER_ADMIN', member: 'DEV/GOV/MOH' }, sub, undefined)).toEqual(none);
  });
});
