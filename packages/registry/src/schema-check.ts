/**
 * Whether a JSON Schema can be used to validate events: compiled exactly as the ingress compiles
 * it (event-schema.ts), so a schema accepted by the control plane never fails at the publish path,
 * and refused when it could never finish validating some payload.
 */
export { EVENT_MAX_DEPTH, type EventSchemaCompiler, eventSchemaCompiler, eventSchemaProblem, type SchemaProblem } from './event-schema.ts';
export { type SchemaCost, schemaCost } from './schema-cost.ts';
