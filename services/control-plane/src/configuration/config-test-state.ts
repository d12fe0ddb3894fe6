/**
 * A small instance for the unit tests of configuration and rights planning: DEV/GOV/MOH owns
 * the approved room `births` (event types newBirth, stillBirth) and the pending room `deaths`;
 * DEV/GOV/REG has the application births-registry; DEV/GOV/MOH/clinic-a publishes newBirth.
 */
import type { InstanceState, StateApp, StateMember } from './config-state.ts';

const app = (clientId: string, status: StateApp['status'] = 'APPROVED'): StateApp => ({
  id: `app_${clientId.split('/').slice(2).join('_')}`,
  code: clientId.split('/')[3] as string,
  clientId,
  name: null,
  status,
});

export function testState(overrides: Partial<InstanceState> = {}): InstanceState {
  const moh: StateMember = {
    id: 'mem_moh',
    instance: 'DEV',
    memberClass: 'GOV',
    memberCode: 'MOH',
    name: 'Ministry of Health',
    status: 'APPROVED',
    applications: [app('DEV/GOV/MOH/clinic-a')],
    rooms: [
      {
        id: 'room_births',
        code: 'births',
        status: 'APPROVED',
        eventTypes: [
          { id: 'evt_new', roomId: 'room_births', name: 'newBirth', schemaId: 1, schemaVersion: 1 },
          { id: 'evt_still', roomId: 'room_births', name: 'stillBirth', schemaId: 2, schemaVersion: 1 },
        ],
      },
      { id: 'room_deaths', code: 'deaths', status: 'PENDING', eventTypes: [] },
    ],
  };
  const reg: StateMember = {
    id: 'mem_reg',
    instance: 'DEV',
    memberClass: 'GOV',
    memberCode: 'REG',
    name: 'Civil Registry',
    status: 'APPROVED',
    applications: [app('DEV/GOV/REG/births-registry'), app('DEV/GOV/REG/waiting', 'PENDING')],
    rooms: [],
  };
  return {
    config: { domain: 'dev.example.org', instance: 'DEV' },
    members: [moh, reg],
    contracts: [{ id: 'pub_1', eventTypeId: 'evt_new', applicationId: 'app_MOH_clinic-a', clientId: 'DEV/GOV/MOH/clinic-a' }],
    grants: [],
    ...overrides,
  };
}
