export * from './config.ts';
export * from './runtime.ts';
export * from './serve.ts';
