/**
 * The control plane: identity, rooms and event types, publisher contracts, subscriptions, the
 * GovStack directory and configuration APIs and the audit log, in PostgreSQL; every change
 * publishes a new generation of the routing contract. `controlPlaneUnit` (unit.ts) builds it.
 */
export { type ControlPlaneConfig, controlPlaneConfigSpec } from './config.ts';
export { buildContract } from './routing/routing-publisher.ts';
export { ControlPlane } from './service.ts';
export { type ControlPlaneUnit, controlPlaneUnit, sealSigningSecrets } from './unit.ts';
