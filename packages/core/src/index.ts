export * from './client-id.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './logger.ts';
export * from './json-pointer.ts';
export * from './net-policy.ts';
