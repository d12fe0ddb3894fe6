export * from './redis.ts';
export * from './key-usage.ts';
