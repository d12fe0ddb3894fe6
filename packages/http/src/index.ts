export * from './auth.ts';
export * from './health.ts';
export * from './json-body.ts';
export * from './metrics.ts';
export * from './problem.ts';
export * from './request-id.ts';
export * from './server.ts';
export * from './openapi.ts';
