/**
 * The pull service: pull queues (queues/: subscribers fetch from their own queue in Redis and
 * acknowledge) and live streams (streams/: SSE and WebSocket straight from Kafka). What both use,
 * the delivery-log writer, is at this folder's root. `pullUnit` (unit.ts) builds both as one
 * unit from `pullConfigSpec` and `streamConfigSpec`; main.ts runs it alone, services/all beside
 * the others.
 */
export { type PullConfig, pullConfigSpec, streamConfigSpec } from './config.ts';
export { pullUnit } from './unit.ts';
/** Read by the operational monitoring API (log-sink) for queue depths: the queue's keys stay in one module. */
export { PullStore, type QueueStats } from './queues/queue-store.ts';
