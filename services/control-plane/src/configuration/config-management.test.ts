import { describe, expect, it } from 'vitest';
import { type ImService, planConfig, resolveMemberRef, toImConf } from './config-management.ts';
import { testState } from './config-test-state.ts';

const ORIGIN = 'https://rc.example.org';
const births = (services: ImService[]) => ({
  name: 'Ministry of Health',
  class: 'GOV',
  code: 'MOH',
  applications: [{ id: 'births', services }],
});
const svc = (id: string, rights: Array<{ member: string; application: string }> = []) => ({ id, specUrl: `${ORIGIN}/spec`, serviceUrl: `${ORIGIN}/svc`, rights });

describe('toImConf', () => {
  it('lists approved members, applications and approved rooms with two services per event type', () => {
    const state = testState({ grants: [{ id: 'grant_1', eventTypeId: 'evt_new', applicationId: 'app_REG_births-registry', clientId: 'DEV/GOV/REG/births-registry' }] });
    const conf = toImConf({ ...state, config: { domain: 'dev.example.org', instance: 'DEV' } }, ORIGIN);
    expect(conf.domain).toBe('dev.example.org');
    expect(conf.members?.map((m) => `${m.class}/${m.code}`)).toEqual(['GOV/MOH', 'GOV/REG']);
    const moh = conf.members?.[0];
    expect(moh?.applications?.map((a) => a.id)).toEqual(['births', 'clinic-a']); // the pending room is not listed
    const services = moh?.applications?.[0]?.services ?? [];
    expect(services.map((s) => s.id)).toEqual(['newBirth', 'sub:newBirth', 'stillBirth', 'sub:stillBirth']);
    expect(services[0]).toEqual({
      id: 'newBirth',
      specUrl: `${ORIGIN}/r1/DEV/GOV/MOH/births/getOpenAPI?serviceCode=newBirth`,
      serviceUrl: `${ORIGIN}/r1/DEV/GOV/MOH/births/pub/v1/newBirth`,
      rights: [{ member: 'GOV/MOH', application: 'clinic-a' }],
    });
    expect(services[1]?.serviceUrl).toBe(`${ORIGIN}/r1/DEV/GOV/MOH/births/api/v1/subs/newBirth`);
    expect(services[1]?.rights).toEqual([{ member: 'GOV/REG', application: 'births-registry' }]);
    // The pending application is not part of the described instance.
    expect(conf.members?.[1]?.applications).toEqual([{ id: 'births-registry' }]);
  });

  it('round-trips: replacing the configuration with what GET returned changes nothing', () => {
    const state = testState();
    const conf = toImConf({ ...state, config: { domain: 'dev.example.org', instance: 'DEV' } }, ORIGIN);
    const { errors, plan } = planConfig('replace', conf, state);
    expect(errors).toEqual([]);
    expect(plan.createMembers).toEqual([]);
    expect(plan.createApps).toEqual([]);
    expect(plan.renameMembers).toEqual([]);
    expect(plan.rights).toEqual({ grantContracts: [], revokeContracts: [], addGrants: [], removeGrants: [], withdrawSubscriptions: [] });
  });
});

describe('planConfig', () => {
  it('refuses POST on a configured instance and PATCH before any configuration', () => {
    expect(planConfig('init', { domain: 'x.org', instance: 'DEV' }, testState()).errors[0]?.pointer).toBe('');
    expect(planConfig('merge', { domain: 'x.org', instance: 'DEV' }, testState({ config: null })).errors[0]?.pointer).toBe('');
    expect(planConfig('replace', { domain: 'x.org', instance: 'DEV' }, testState({ config: null })).errors).toEqual([]);
  });

  it('refuses renaming an instance that has members', () => {
    const { errors } = planConfig('merge', { domain: 'x.org', instance: 'PROD' }, testState());
    expect(errors).toEqual([{ pointer: '/instance', message: expect.stringContaining('must stay DEV') }]);
  });

  it('PATCH creates described members and applications, renames, and only adds rights', () => {
    const { errors, plan } = planConfig(
      'merge',
      {
        domain: 'dev.example.org',
        instance: 'DEV',
        members: [
          { ...births([svc('newBirth', [{ member: 'GOV/HOSP', application: 'ward-1' }]), svc('sub:newBirth', [{ member: 'REG', application: 'births-registry' }])]), name: 'Health Ministry' },
          { name: 'Hospital', class: 'GOV', code: 'HOSP', applications: [{ id: 'ward-1' }] },
        ],
      },
      testState(),
    );
    expect(errors).toEqual([]);
    expect(plan.renameMembers).toEqual([{ id: 'mem_moh', name: 'Health Ministry' }]);
    expect(plan.createMembers).toEqual([{ memberClass: 'GOV', memberCode: 'HOSP', name: 'Hospital' }]);
    expect(plan.createApps).toEqual([{ memberClass: 'GOV', memberCode: 'HOSP', code: 'ward-1', clientId: 'DEV/GOV/HOSP/ward-1' }]);
    expect(plan.rights.grantContracts).toEqual([{ clientId: 'DEV/GOV/HOSP/ward-1', eventTypeId: 'evt_new', roomId: 'room_births' }]);
    expect(plan.rights.addGrants).toEqual([{ clientId: 'DEV/GOV/REG/births-registry', eventTypeId: 'evt_new', roomId: 'room_births' }]);
    // clinic-a's contract is not described, but PATCH never removes.
    expect(plan.rights.revokeContracts).toEqual([]);
  });

  it('PUT withdraws every right on the instance that the document does not describe', () => {
    const state = testState({ grants: [{ id: 'grant_1', eventTypeId: 'evt_still', applicationId: 'app_REG_births-registry', clientId: 'DEV/GOV/REG/births-registry' }] });
    const { errors, plan } = planConfig('replace', { domain: 'dev.example.org', instance: 'DEV' }, state);
    expect(errors).toEqual([]);
    expect(plan.rights.revokeContracts).toEqual(['pub_1']);
    expect(plan.rights.removeGrants).toEqual(['grant_1']);
    expect(plan.rights.withdrawSubscriptions).toEqual([{ applicationId: 'app_REG_births-registry', eventTypeId: 'evt_still' }]);
    expect(plan.createMembers).toEqual([]); // members are never deleted, and none is created
  });

  it('lists every problem with its JSON pointer', () => {
    const { errors } = planConfig(
      'merge',
      {
        domain: 'dev.example.org',
        instance: 'DEV',
        members: [
          births([
            svc('death'),
            svc('bad id!'),
            svc('newBirth', [
              { member: 'GOV/NOPE', application: 'x' },
              { member: 'GOV/REG', application: 'waiting' },
              { member: 'ZZZ', application: 'x' },
            ]),
            svc('newBirth'),
          ]),
          { name: 'Ministry of Health', class: 'GOV', code: 'MOH', applications: [{ id: 'deaths', services: [svc('x')] }, { id: 'ghost', services: [svc('x')] }] },
        ],
      },
      testState(),
    );
    const s = '/members/0/applications/0/services';
    expect(errors.map((e) => e.pointer)).toEqual([
      '/members/1',
      `${s}/0/id`,
      `${s}/1/id`,
      `${s}/2/rights/0/application`,
      `${s}/2/rights/1/application`,
      `${s}/2/rights/2/member`,
      `${s}/3/id`,
    ]);
  });

  it('refuses services on a pending or missing room, and pending members', () => {
    const state = testState();
    const reg = state.members[1];
    if (reg) reg.status = 'PENDING';
    const { errors } = planConfig(
      'merge',
      {
        domain: 'dev.example.org',
        instance: 'DEV',
        members: [
          { name: 'Ministry of Health', class: 'GOV', code: 'MOH', applications: [{ id: 'deaths', services: [svc('x')] }, { id: 'ghost', services: [svc('x')] }] },
          { name: 'Civil Registry', class: 'GOV', code: 'REG' },
        ],
      },
      state,
    );
    expect(errors.map((e) => [e.pointer, e.message])).toEqual([
      ['/members/0/applications/0/services', expect.stringContaining('not approved')],
      ['/members/0/applications/1/services', expect.stringContaining('has no room ghost')],
      ['/members/1', expect.stringContaining('PENDING')],
    ]);
  });
});

describe('resolveMemberRef', () => {
  const members = [
    { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH' },
    { instance: 'DEV', memberClass: 'COM', memberCode: 'ACME' },
    { instance: 'DEV', memberClass: 'GOV', memberCode: 'ACME' },
  ];
  it('accepts CLASS/CODE, INSTANCE/CLASS/CODE and a unique code', () => {
    expect(resolveMemberRef('GOV/MOH', 'DEV', members)).toEqual({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH' });
    expect(resolveMemberRef('EU/GOV/X', 'DEV', members)).toEqual({ instance: 'EU', memberClass: 'GOV', memberCode: 'X' });
    expect(resolveMemberRef('MOH', 'DEV', members)).toEqual({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH' });
    expect(resolveMemberRef('ACME', 'DEV', members)).toMatch(/ambiguous/);
    expect(resolveMemberRef('NONE', 'DEV', members)).toMatch(/no member/);
  });
});
