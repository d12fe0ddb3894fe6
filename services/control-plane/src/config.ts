/**
 * The control plane's settings: its database, the master keys that wrap room data keys and
 * seal signing secrets, the bootstrap admin key, the public base URL and the throttle of
 * anonymous member applications. Loaded with `commonConfigSpec` (packages/runtime) by main.ts
 * and by the all-in-one process; `.env.example` is generated from these help texts.
 */
import type { ConfigOf, ConfigSpec } from '@roomcast/core';
import { type commonConfigSpec, databaseConfigSpec, encryptionConfigSpec } from '@roomcast/runtime';
import type { ApplyLimits } from './identity/apply-throttle.ts';
import { environmentConfigSpec } from './monitoring/environment-config.ts';

export const controlPlaneConfigSpec = {
  ...databaseConfigSpec,
  ...encryptionConfigSpec,
  ...environmentConfigSpec,
  ROOMCAST_BOOTSTRAP_ADMIN_KEY: {
    kind: 'secret',
    optional: true,
    check: (v) => (v.length >= 32 ? undefined : 'must be at least 32 characters'),
    help: 'The first global admin API key; registered (hashed) at start. Generate one with `openssl rand -base64 32`.',
  },
  ROOMCAST_PUBLIC_BASE_URL: {
    kind: 'url',
    optional: true,
    check: (v) => {
      const u = new URL(v);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http or https URL';
      return u.username || u.password || u.search || u.hash ? 'must not carry credentials, a query or a fragment' : undefined;
    },
    help: 'The URL clients reach this deployment at (https://roomcast.example.org, a path prefix allowed), written into GovStack configuration and event-type OpenAPI documents. Unset: the address the process listens on (the request Host header is never used).',
  },
  ROOMCAST_APPLY_PER_HOUR: {
    kind: 'int',
    default: '10',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Anonymous member applications (POST /api/admin/v1/members/apply) accepted per client network (IPv4 address, IPv6 /64) per hour; more answer 429 member.apply_limited.',
  },
  ROOMCAST_APPLY_MAX_PENDING: {
    kind: 'int',
    default: '200',
    check: (v) => (v >= 1 && v <= 1_000_000 ? undefined : 'must be between 1 and 1000000'),
    help: 'Anonymous member applications are refused (429 member.apply_limited) while this many members await a decision.',
  },
} satisfies ConfigSpec;

export type ControlPlaneConfig = ConfigOf<typeof commonConfigSpec & typeof controlPlaneConfigSpec>;

/** The throttle of anonymous member applications from a loaded config. */
export function applyLimitsFromConfig(config: ControlPlaneConfig): ApplyLimits {
  return { perWindow: config.ROOMCAST_APPLY_PER_HOUR, windowMs: 3_600_000, maxPending: config.ROOMCAST_APPLY_MAX_PENDING };
}
