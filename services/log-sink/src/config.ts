/**
 * The log sink's settings: the message log's database, signing keys, checkpoints, retention
 * and archive (`logConfigSpec`, packages/log), the bounds of a dead-letter redrive, and the
 * operational monitoring API's time budget (who the central monitoring clients are is a shared
 * setting, ROOMCAST_MONITORING_CLIENTS in packages/runtime). Loaded with `commonConfigSpec`
 * (packages/runtime) by main.ts and by the all-in-one process; `.env.example` is generated from
 * these help texts.
 */
import type { ConfigOf, ConfigSpec } from '@roomcast/core';
import { logConfigSpec } from '@roomcast/log';
import { type commonConfigSpec, encryptionConfigSpec } from '@roomcast/runtime';

export const monitoringConfigSpec = {
  ROOMCAST_MONITORING_BACKLOG_BUDGET_MS: {
    kind: 'int',
    default: '3000',
    check: (v) => (v >= 100 && v <= 30_000 ? undefined : 'use 100-30000 (milliseconds)'),
    help: 'Time budget of one call to /api/v1/monitoring/operational/backlog for its Kafka and Redis reads; subscriptions not read in time answer complete=false.',
  },
} satisfies ConfigSpec;

export interface MonitoringSettings {
  centralClients: string[];
  backlogBudgetMs: number;
}

/** The monitoring API's options from validated configuration. */
export function monitoringSettingsOf(config: ConfigOf<Pick<typeof commonConfigSpec, 'ROOMCAST_MONITORING_CLIENTS'> & typeof monitoringConfigSpec>): MonitoringSettings {
  return { centralClients: config.ROOMCAST_MONITORING_CLIENTS ?? [], backlogBudgetMs: config.ROOMCAST_MONITORING_BACKLOG_BUDGET_MS };
}

export const logSinkConfigSpec = {
  ...logConfigSpec,
  ...encryptionConfigSpec,
  ...monitoringConfigSpec,
  ROOMCAST_REDRIVE_MAX_EVENTS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Most dead letters one redrive or purge call takes (the oldest matching first); call again for the rest.',
  },
  ROOMCAST_REDRIVE_MAX_RATE_PER_SEC: {
    kind: 'int',
    default: '50',
    check: (v) => (v >= 1 ? undefined : 'must be at least 1'),
    help: 'Pace of a redrive in deliveries per second: the default and the highest a caller may ask for (the subscription\'s own rate limit applies too).',
  },
} satisfies ConfigSpec;

export type LogSinkConfig = ConfigOf<typeof commonConfigSpec & typeof logSinkConfigSpec>;
