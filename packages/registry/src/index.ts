export * from './registry.ts';
export * from './schema-check.ts';
