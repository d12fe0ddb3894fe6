export * from './contract.ts';
export * from './store.ts';
export * from './signing.ts';
export * from './contract-schema.ts';
export * from './filter.ts';
