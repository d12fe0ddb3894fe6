/**
 * The ingress service: authenticates publishers, checks their contract, validates payloads
 * against the event type's schema and acknowledges once Kafka has the event. `ingressUnit`
 * builds it from `ingressConfigSpec`; main.ts runs it alone, services/all beside the others.
 */
export { type IngressConfig, ingressConfigSpec } from './config.ts';
export { ingressUnit } from './unit.ts';
export { eventKey } from './pipeline.ts';
