import { describe, expect, it } from 'vitest';
import type { EnvironmentSample } from '@roomcast/runtime';
import { fullView, project, publicFieldsOf, visibleFields } from './environment-view.ts';

const sample: EnvironmentSample = {
  sampledAt: '2026-12-07T10:00:00.000Z',
  host: { name: 'node-1', uptimeSeconds: 5000 },
  os: { platform: 'linux', release: '6.1', arch: 'x64' },
  cpu: { count: 2, loadAverage: [0.5, 0.4, 0.3] },
  memory: { totalBytes: 8e9, freeBytes: 2e9, rssBytes: 1e8, heapUsedBytes: 5e7, heapTotalBytes: 7e7 },
  disk: { path: '/data', totalBytes: 1e11, freeBytes: 5e10 },
  process: { pid: 42, uptimeSeconds: 60 },
  connections: { sockets: 7, handles: 12, http: 1 },
  versions: { node: '22.0.0', roomcast: '0.1.0' },
  dependencies: { postgres: { version: '15.4' } },
};
const view = fullView({ processId: 'p1', roles: ['ingress'], url: 'http://node-1:8080', startedAt: '2026-12-07T09:59:00.000Z', heartbeatAt: '2026-12-07T10:00:05.000Z', sample });
const visibility = { monitoringClients: ['DEV/GOV/OPS/monitor'], publicFields: publicFieldsOf(['roles', 'uptime']) };

describe('environment view', () => {
  it('shows every field to the global admin and the central monitoring clients', () => {
    expect(visibleFields({ role: 'GLOBAL_ADMIN' }, visibility)).toBeUndefined();
    expect(visibleFields({ role: 'APPLICATION', clientId: 'DEV/GOV/OPS/monitor' }, visibility)).toBeUndefined();
    expect(project(view, undefined)).toMatchObject({ host: 'node-1', pid: 42, url: 'http://node-1:8080', memory: { rssBytes: 1e8 }, uptime: { processSeconds: 60, hostSeconds: 5000 }, dependencies: { postgres: { version: '15.4' } } });
  });

  it('shows others the process id, the sample time and the public fields only', () => {
    for (const p of [{ role: 'MEMBER_ADMIN' as const, member: 'DEV/GOV/MOH' }, { role: 'APPLICATION' as const, clientId: 'DEV/GOV/MOH/clinic-a' }]) {
      expect(project(view, visibleFields(p, visibility))).toEqual({ processId: 'p1', sampledAt: sample.sampledAt, roles: ['ingress'], uptime: { processSeconds: 60, hostSeconds: 5000 } });
    }
  });

  it('refuses others with 403 when no field is public', () => {
    expect(() => visibleFields({ role: 'MEMBER_ADMIN', member: 'DEV/GOV/MOH' }, { monitoringClients: [], publicFields: publicFieldsOf(['none']) })).toThrow(expect.objectContaining({ code: 'auth.forbidden' }));
  });

  it('leaves out what a stored sample does not have (URL, heartbeat)', () => {
    const stored = fullView({ processId: 'p1', roles: ['ingress'], sample });
    expect(stored).not.toHaveProperty('url');
    expect(stored).not.toHaveProperty('heartbeatAt');
    expect(stored.sampledAt).toBe(sample.sampledAt);
  });
});
