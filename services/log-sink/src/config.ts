/**
 * The log sink's settings: the message log's database, signing keys, checkpoints, retention
 * and archive (`logConfigSpec`, packages/log), and who the central monitoring client is (the
 * operational monitoring API). Loaded with `commonConfigSpec` (packages/runtime) by main.ts and
 * by the all-in-one process; `.env.example` is generated from these help texts.
 */
import { type ConfigOf, type ConfigSpec, parseClientId } from '@roomcast/core';
import { logConfigSpec } from '@roomcast/log';
import type { commonConfigSpec } from '@roomcast/runtime';

export const monitoringConfigSpec = {
  ROOMCAST_MONITORING_CLIENTS: {
    kind: 'list',
    optional: true,
    check: (v) => {
      const bad = v.filter((c) => parseClientId(c) === undefined);
      return bad.length > 0 ? `${bad.join(', ')}: use INSTANCE/CLASS/MEMBER/APPLICATION client ids` : undefined;
    },
    help: 'Client ids (INSTANCE/CLASS/MEMBER/APPLICATION, comma separated) of the central monitoring client: its application keys read every record of the operational monitoring API (/api/v1/monitoring/operational/…), as the central admin does. Unset: only the central admin sees everything.',
  },
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
export function monitoringSettingsOf(config: ConfigOf<typeof monitoringConfigSpec>): MonitoringSettings {
  return { centralClients: config.ROOMCAST_MONITORING_CLIENTS ?? [], backlogBudgetMs: config.ROOMCAST_MONITORING_BACKLOG_BUDGET_MS };
}

export const logSinkConfigSpec = { ...logConfigSpec, ...monitoringConfigSpec };

export type LogSinkConfig = ConfigOf<typeof commonConfigSpec & typeof logSinkConfigSpec>;
