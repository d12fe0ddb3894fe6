export * from './config.ts';
export * from './runtime.ts';
export * from './serve.ts';
export * from './data-plane.ts';
export * from './tls.ts';
export * from './contract-auth.ts';
export * from './data-keys.ts';
export * from './workers.ts';
