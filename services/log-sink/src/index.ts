/**
 * The message-log service: the sink (room topics and the delivery log → PostgreSQL, unit.ts)
 * and the log API (search, event history, reports, proofs, public keys, api.ts).
 */
export { createLogApi, redriveSettings } from './api.ts';
export { type LogSinkConfig, logSinkConfigSpec, type MonitoringSettings, monitoringSettingsOf } from './config.ts';
export { LogSink } from './sink.ts';
export { deadLetterEntry, deliveryEntry, eventEntry } from './records.ts';
export { type LogParts, logParts, logSinkUnit } from './unit.ts';
