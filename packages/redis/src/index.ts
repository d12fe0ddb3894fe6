/** Redis for every component: the client and key names, Lua script plumbing, and one store per concept. */
export * from './redis.ts';
export * from './scripts.ts';
export * from './stores/api-key-usage.ts';
export * from './stores/cancellation-marks.ts';
export * from './stores/data-plane-feedback.ts';
export * from './stores/delivery-status.ts';
export * from './stores/process-registry.ts';
export * from './stores/pull-queue.ts';
export * from './stores/window-counter.ts';
