/**
 * Environmental monitoring (GovStack IM: an administrative API for it; no GovStack document
 * describes one, decision 0030):
 *
 *   GET /api/v1/monitoring/environment           every live Roomcast process, its latest sample
 *   GET /api/v1/monitoring/environment/history   stored samples in a time range, newest first
 *
 * The current view comes from the process registry (Redis), the history from PostgreSQL. Who
 * sees which fields is environment-view.ts. `from` is required and the range spans at most
 * 31 days; pages hold at most 500 samples, with an opaque cursor.
 */
import { RoomcastError } from '@roomcast/core';
import type { ApiRouter, JsonSchema } from '@roomcast/http';
import type { EnvironmentCollector } from './environment-collector.ts';
import type { EnvironmentStore } from './environment-store.ts';
import { fullView, project, type Visibility, visibleFields } from './environment-view.ts';

const TAGS = ['roomcast', 'monitoring'];
const MAX_SPAN_MS = 31 * 24 * 3600_000;
const ROLE = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,39}$', description: 'A role (unit) a process runs: control-plane, ingress, dispatcher, pull, log-api, log-sink' };

const viewSchema: JsonSchema = {
  type: 'object',
  required: ['processId', 'sampledAt'],
  description: 'One process. Callers other than the deployment owner and the central monitoring clients see the process id and the configured public fields only.',
  properties: {
    processId: { type: 'string', format: 'uuid', description: 'Random per start of the process' },
    sampledAt: { type: 'string', format: 'date-time' },
    roles: { type: 'array', items: { type: 'string' } },
    host: { type: 'string' },
    pid: { type: 'integer' },
    url: { type: 'string', description: 'Where the process is reached (its discovery target); current view only' },
    startedAt: { type: 'string', format: 'date-time' },
    heartbeatAt: { type: 'string', format: 'date-time', description: 'Its last heartbeat; current view only' },
    os: { type: 'object', properties: { platform: { type: 'string' }, release: { type: 'string' }, arch: { type: 'string' } } },
    cpu: { type: 'object', properties: { count: { type: 'integer' }, loadAverage: { type: 'array', items: { type: 'number' }, description: '1, 5 and 15 minutes' } } },
    memory: {
      type: 'object',
      properties: { totalBytes: { type: 'integer' }, freeBytes: { type: 'integer' }, rssBytes: { type: 'integer' }, heapUsedBytes: { type: 'integer' }, heapTotalBytes: { type: 'integer' } },
    },
    disk: { type: ['object', 'null'], description: 'The file system of the data directory', properties: { path: { type: 'string' }, totalBytes: { type: 'integer' }, freeBytes: { type: 'integer' } } },
    uptime: { type: 'object', properties: { processSeconds: { type: 'integer' }, hostSeconds: { type: 'integer' } } },
    connections: {
      type: 'object',
      properties: { sockets: { type: 'integer', description: 'Open sockets of the process' }, handles: { type: 'integer', description: 'Active handles of the event loop' }, http: { type: ['integer', 'null'], description: 'Open HTTP connections of its listeners' } },
    },
    versions: { type: 'object', properties: { node: { type: 'string' }, roomcast: { type: 'string' } } },
    dependencies: { type: 'object', description: 'PostgreSQL, Redis, Kafka and registry versions (sampled by control-plane processes)', additionalProperties: true },
  },
};

const bad = (name: string, message: string) => new RoomcastError('request.validation_failed', { errors: [{ pointer: `/query/${name}`, message }] });

function cursorOf(text: string | undefined): { sampledAt: Date; id: bigint } | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && /^\d{1,19}$/.test(v[1])) {
      const sampledAt = new Date(v[0]);
      if (!Number.isNaN(sampledAt.getTime())) return { sampledAt, id: BigInt(v[1]) };
    }
  } catch {
    // reported below
  }
  throw bad('cursor', 'is not a cursor from this history');
}

export interface EnvironmentRouteDeps {
  collector: EnvironmentCollector;
  store: EnvironmentStore;
  visibility: Visibility;
}

export function environmentRoutes(router: ApiRouter, deps: EnvironmentRouteDeps): void {
  router.add<unknown, { role?: string }>({
    method: 'get',
    path: '/api/v1/monitoring/environment',
    operationId: 'getEnvironment',
    summary: 'Every running Roomcast process: host, OS, CPU load, memory, disk, uptime, connections, versions and roles',
    description: 'From the process registry: each live process with its latest environment sample, oldest start first. The deployment owner (global admin) and the central monitoring clients see every field; others the configured public fields, or 403.',
    tags: TAGS,
    query: { type: 'object', additionalProperties: false, properties: { role: ROLE } },
    responses: {
      200: {
        description: 'The live processes',
        schema: { type: 'object', required: ['processes'], properties: { processes: { type: 'array', items: viewSchema } } },
      },
    },
    handler: async (c, { query, principal }) => {
      const fields = visibleFields(principal, deps.visibility);
      const live = (await deps.collector.live()).filter((p) => query.role === undefined || p.roles.includes(query.role));
      const processes = live.map((p) => project(fullView({ processId: p.processId, roles: p.roles, url: p.url, startedAt: p.startedAt, heartbeatAt: p.heartbeatAt, sample: p.sample }), fields));
      return c.json({ processes }, 200);
    },
  });

  router.add<unknown, { from: string; to?: string; process?: string; role?: string; limit: number; cursor?: string }>({
    method: 'get',
    path: '/api/v1/monitoring/environment/history',
    operationId: 'getEnvironmentHistory',
    summary: 'Environment samples of Roomcast processes over a time range',
    description: 'Newest first, filtered by process id or role; samples are kept for ROOMCAST_ENVIRONMENT_RETENTION_DAYS. Fields are scoped as in GET /api/v1/monitoring/environment.',
    tags: TAGS,
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['from'],
      properties: {
        from: { type: 'string', format: 'date-time', description: 'Start of the range (inclusive), ISO-8601; required' },
        to: { type: 'string', format: 'date-time', description: 'End of the range (exclusive); default now; at most 31 days after `from`' },
        process: { type: 'string', format: 'uuid', description: 'One process id' },
        role: ROLE,
        limit: { type: 'integer', minimum: 1, maximum: 500, default: 100, description: 'Page size (1-500)' },
        cursor: { type: 'string', minLength: 1, maxLength: 200, description: 'The `next` of the previous page' },
      },
    },
    responses: {
      200: {
        description: 'A page of samples',
        schema: { type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items: viewSchema }, next: { type: ['string', 'null'] } } },
      },
    },
    handler: async (c, { query: q, principal }) => {
      const fields = visibleFields(principal, deps.visibility);
      const from = new Date(q.from);
      const to = q.to ? new Date(q.to) : new Date();
      if (!(to.getTime() > from.getTime())) throw bad(q.to ? 'to' : 'from', 'must be after `from`');
      if (to.getTime() - from.getTime() > MAX_SPAN_MS) throw bad('to', 'must be at most 31 days after `from`');
      const rows = await deps.store.history({ from, to, processId: q.process?.toLowerCase(), role: q.role, limit: q.limit, before: cursorOf(q.cursor) });
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return c.json(
        {
          items: items.map((r) => project(fullView({ processId: r.processId, roles: r.roles, sample: r.sample }), fields)),
          next: rows.length > q.limit && last ? Buffer.from(JSON.stringify([last.sampledAt.toISOString(), String(last.id)]), 'utf8').toString('base64url') : null,
        },
        200,
      );
    },
  });
}
