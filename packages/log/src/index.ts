export * from './config.ts';
export * from './entry.ts';
export * from './signing.ts';
export * from './store.ts';
export * from './proof.ts';
export * from './verify.ts';
export * from './archive.ts';
