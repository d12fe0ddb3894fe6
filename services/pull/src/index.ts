/**
 * The pull service: subscribers fetch from their own queue and acknowledge (GovStack pull,
 * leases, dead letters), or follow a live stream (SSE, WebSocket). `pullUnit` builds it from
 * `pullConfigSpec` and `streamConfigSpec`; main.ts runs it alone, services/all beside the others.
 */
export { type PullConfig, pullConfigSpec, streamConfigSpec } from './config.ts';
export { pullUnit } from './unit.ts';
