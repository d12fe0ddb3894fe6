export * from './batcher.ts';
export * from './client.ts';
export * from './headers.ts';
export * from './names.ts';
export * from './offsets.ts';
export * from './reader.ts';
export * from './redrive.ts';
export * from './seek.ts';
