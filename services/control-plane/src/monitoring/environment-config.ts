/** Settings of environmental monitoring (the control plane's part): who sees what, how long samples stay, where Prometheus discovery goes. */
import type { ConfigSpec } from '@roomcast/core';
import { ENVIRONMENT_FIELDS } from './environment-view.ts';

export const environmentConfigSpec = {
  ROOMCAST_MONITORING_CLIENTS: {
    kind: 'list',
    optional: true,
    check: (v) => (v.every((c) => /^[^/\s]+\/[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(c)) ? undefined : 'each entry must be a client id INSTANCE/CLASS/MEMBER/APPLICATION'),
    help: "Client ids (comma-separated) of the central monitoring applications: their API keys (or client certificates) read the monitoring APIs as fully as a global admin, and nothing else of a global admin's.",
  },
  ROOMCAST_MONITORING_PUBLIC_FIELDS: {
    kind: 'list',
    default: 'roles,startedAt,heartbeatAt,uptime',
    check: (v) => {
      const bad = v.filter((f) => f !== 'none' && !(ENVIRONMENT_FIELDS as readonly string[]).includes(f));
      if (bad.length > 0) return `unknown field ${bad.join(', ')}; use none or fields of ${ENVIRONMENT_FIELDS.join(', ')}`;
      return v.includes('none') && v.length > 1 ? 'none stands alone' : undefined;
    },
    help: `Fields of the environmental monitoring API (GET /api/v1/monitoring/environment…) every other authenticated caller (member admins, applications) sees, besides the process id; \`none\` refuses them (403). Fields: ${ENVIRONMENT_FIELDS.join(', ')}.`,
  },
  ROOMCAST_ENVIRONMENT_RETENTION_DAYS: {
    kind: 'int',
    default: '30',
    check: (v) => (v >= 1 && v <= 3650 ? undefined : 'must be between 1 and 3650'),
    help: 'Days the environment samples of every process stay queryable (GET /api/v1/monitoring/environment/history); older ones are deleted hourly.',
  },
  ROOMCAST_PROMETHEUS_SD_FILE: {
    kind: 'string',
    optional: true,
    check: (v) => (v.endsWith('.json') ? undefined : 'must name a .json file (Prometheus file_sd_configs)'),
    help: 'Path of a Prometheus file-based discovery file (file_sd_configs) the control plane keeps current from the process registry: every live Roomcast process as a target with its roles. Written atomically (temporary file and rename). Unset: no file.',
  },
} satisfies ConfigSpec;
