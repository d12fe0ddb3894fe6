/**
 * The dispatcher service: one consumer group per push subscription delivers each event to the
 * subscriber's endpoint with signed requests, retries and back-off. `dispatcherUnit` builds it
 * from `dispatcherConfigSpec`; main.ts runs it alone, services/all beside the others.
 */
export { type DispatcherConfig, dispatcherConfigSpec } from './config.ts';
export { type DispatcherUnit, dispatcherUnit } from './unit.ts';
export { Dispatcher } from './dispatcher.ts';
export { endpointFingerprint } from './metrics.ts';
export { signOne, signatureHeader, verifySignature } from './signature.ts';
