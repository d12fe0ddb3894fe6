/**
 * What the environmental monitoring API answers about one process, and who sees which part:
 *
 *   global admin, central monitoring clients (ROOMCAST_MONITORING_CLIENTS)   every field
 *   any other authenticated caller                                           the process id and
 *                                                                            ROOMCAST_MONITORING_PUBLIC_FIELDS
 *                                                                            (403 when that is `none`)
 *
 * Pure: a registry entry or a stored sample in, a JSON view out.
 */
import { RoomcastError } from '@roomcast/core';
import type { Principal } from '@roomcast/http';
import type { EnvironmentSample } from '@roomcast/runtime';

export const ENVIRONMENT_FIELDS = ['roles', 'host', 'pid', 'url', 'startedAt', 'heartbeatAt', 'os', 'cpu', 'memory', 'disk', 'uptime', 'connections', 'versions', 'dependencies'] as const;
export type EnvironmentField = (typeof ENVIRONMENT_FIELDS)[number];

/** What one process's view is built from: its registry entry, or a stored sample (no URL or heartbeat then). */
export interface ProcessFacts {
  processId: string;
  roles: string[];
  url?: string | undefined;
  startedAt?: string | undefined;
  heartbeatAt?: string | undefined;
  sample: EnvironmentSample;
}

export type EnvironmentView = { processId: string; sampledAt: string } & Partial<Record<EnvironmentField, unknown>>;

export function fullView(f: ProcessFacts): EnvironmentView {
  const s = f.sample;
  return {
    processId: f.processId,
    sampledAt: s.sampledAt,
    roles: f.roles,
    host: s.host.name,
    pid: s.process.pid,
    ...(f.url !== undefined ? { url: f.url } : {}),
    ...(f.startedAt !== undefined ? { startedAt: f.startedAt } : {}),
    ...(f.heartbeatAt !== undefined ? { heartbeatAt: f.heartbeatAt } : {}),
    os: s.os,
    cpu: s.cpu,
    memory: s.memory,
    disk: s.disk,
    uptime: { processSeconds: s.process.uptimeSeconds, hostSeconds: s.host.uptimeSeconds },
    connections: s.connections,
    versions: s.versions,
    ...(s.dependencies ? { dependencies: s.dependencies } : {}),
  };
}

export interface Visibility {
  monitoringClients: string[];
  /** Empty: other callers are refused. */
  publicFields: EnvironmentField[];
}

/** The fields a caller sees: undefined for everything, or the public subset; throws 403 when none. */
export function visibleFields(p: Principal, v: Visibility): EnvironmentField[] | undefined {
  if (p.role === 'GLOBAL_ADMIN') return undefined;
  if (p.clientId !== undefined && v.monitoringClients.includes(p.clientId)) return undefined;
  if (v.publicFields.length === 0) throw new RoomcastError('auth.forbidden', { detail: 'Environmental monitoring is open to the deployment owner and the central monitoring clients only' });
  return v.publicFields;
}

export function project(view: EnvironmentView, fields: EnvironmentField[] | undefined): EnvironmentView {
  if (fields === undefined) return view;
  const out: EnvironmentView = { processId: view.processId, sampledAt: view.sampledAt };
  for (const f of fields) if (view[f] !== undefined) out[f] = view[f];
  return out;
}

/** The public fields setting as a checked list (`none` → empty). */
export function publicFieldsOf(list: string[]): EnvironmentField[] {
  return list.filter((f): f is EnvironmentField => (ENVIRONMENT_FIELDS as readonly string[]).includes(f));
}
