/**
 * The log sink's settings: the message log's database, signing keys, checkpoints, retention
 * and archive (`logConfigSpec`, packages/log), and the operational monitoring API's time budget (who the
 * central monitoring clients are is a shared setting, ROOMCAST_MONITORING_CLIENTS in packages/runtime). Loaded with `commonConfigSpec` (packages/runtime) by main.ts and
 * by the all-in-one process; `.env.example` is generated from these help texts.
 */
import type { ConfigOf, ConfigSpec } from '@roomcast/core';
import { logConfigSpec } from '@roomcast/log';
import type { commonConfigSpec } from '@roomcast/runtime';

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

export const logSinkConfigSpec = { ...logConfigSpec, ...monitoringConfigSpec };

export type LogSinkConfig = ConfigOf<typeof commonConfigSpec & typeof logSinkConfigSpec>;
