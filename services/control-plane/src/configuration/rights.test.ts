import { describe, expect, it } from 'vitest';
import { parseServiceId } from './config-state.ts';
import { testState } from './config-test-state.ts';
import { decodePageToken, pageOfRights, planRights, type RightPair, rightPairs } from './rights.ts';

describe('service ids', () => {
  it('maps an event type to the publish right and sub:<type> to the subscribe right', () => {
    expect(parseServiceId('newBirth')).toEqual({ kind: 'publish', eventType: 'newBirth' });
    expect(parseServiceId('sub:newBirth')).toEqual({ kind: 'subscribe', eventType: 'newBirth' });
    expect(parseServiceId('sub:')).toBeUndefined();
    expect(parseServiceId('a/b')).toBeUndefined();
  });
});

describe('paging', () => {
  // The specification's example: services A, B and C with 8 allowed applications each, pageSize 10.
  const pairs: RightPair[] = ['A', 'B', 'C'].flatMap((service) =>
    Array.from({ length: 8 }, (_, i) => ({
      key: ['GOV', 'MOH', 'births', service, `DEV/GOV/X/app${i}`] as RightPair['key'],
      client: { memberClass: 'GOV', memberCode: 'X', applicationId: `app${i}` },
    })),
  );

  it('splits services across pages by (service, application) pairs', () => {
    const pages: Array<Array<[string, number]>> = [];
    let after: RightPair['key'] | undefined;
    for (;;) {
      const page = pageOfRights(pairs, {}, 10, after);
      pages.push(page.allowList.map((r) => [r.serviceId, r.rights.length]));
      if (!page.nextPageToken) break;
      after = decodePageToken(page.nextPageToken);
    }
    expect(pages).toEqual([
      [['A', 8], ['B', 2]],
      [['B', 6], ['C', 4]],
      [['C', 4]],
    ]);
  });

  it('filters by provider and service, and refuses foreign tokens', () => {
    expect(pageOfRights(pairs, { serviceId: 'B' }, 100).allowList).toHaveLength(1);
    expect(pageOfRights(pairs, { memberCode: 'OTHER' }, 100).allowList).toEqual([]);
    expect(decodePageToken('not-a-token')).toBeUndefined();
    expect(decodePageToken(Buffer.from('[1,2]').toString('base64url'))).toBeUndefined();
  });

  it('derives pairs from contracts and grants of the configured instance', () => {
    const state = testState({ grants: [{ id: 'grant_1', eventTypeId: 'evt_new', applicationId: 'app_REG_births-registry', clientId: 'DEV/GOV/REG/births-registry' }] });
    expect(rightPairs(state, 'DEV').map((p) => p.key)).toEqual([
      ['GOV', 'MOH', 'births', 'newBirth', 'DEV/GOV/MOH/clinic-a'],
      ['GOV', 'MOH', 'births', 'sub:newBirth', 'DEV/GOV/REG/births-registry'],
    ]);
    expect(rightPairs(state, 'OTHER')).toEqual([]);
  });
});

describe('planRights', () => {
  const item = (serviceId: string, applicationId = 'births-registry', memberCode = 'REG') => ({
    memberClass: 'GOV',
    memberCode: 'MOH',
    applicationId: 'births',
    serviceId,
    rights: [{ memberClass: 'GOV', memberCode, applicationId }],
  });

  it('allow adds a contract or a grant only where none exists', () => {
    const { errors, changes } = planRights('allow', [item('newBirth'), item('sub:newBirth'), item('newBirth', 'clinic-a', 'MOH')], testState(), 'DEV');
    expect(errors).toEqual([]);
    expect(changes.grantContracts).toEqual([{ clientId: 'DEV/GOV/REG/births-registry', eventTypeId: 'evt_new', roomId: 'room_births' }]);
    expect(changes.addGrants).toEqual([{ clientId: 'DEV/GOV/REG/births-registry', eventTypeId: 'evt_new', roomId: 'room_births' }]);
  });

  it('deny revokes the contract, removes the grant and withdraws the subscription', () => {
    const state = testState({ grants: [{ id: 'grant_1', eventTypeId: 'evt_new', applicationId: 'app_REG_births-registry', clientId: 'DEV/GOV/REG/births-registry' }] });
    const { errors, changes } = planRights('deny', [item('newBirth', 'clinic-a', 'MOH'), item('sub:newBirth')], state, 'DEV');
    expect(errors).toEqual([]);
    expect(changes.revokeContracts).toEqual(['pub_1']);
    expect(changes.removeGrants).toEqual(['grant_1']);
    expect(changes.withdrawSubscriptions).toEqual([{ applicationId: 'app_REG_births-registry', eventTypeId: 'evt_new' }]);
  });

  it('names each unknown room, service or application, and refuses unapproved applications', () => {
    const { errors } = planRights(
      'allow',
      [{ ...item('newBirth'), applicationId: 'deaths' }, item('death'), item('sub:bad id'), item('newBirth', 'nope'), item('newBirth', 'waiting')],
      testState(),
      'DEV',
    );
    expect(errors.map((e) => e.pointer)).toEqual(['/0/applicationId', '/1/serviceId', '/2/serviceId', '/3/rights/0', '/4/rights/0']);
  });
});
