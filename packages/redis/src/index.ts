export * from './redis.ts';
export * from './key-usage.ts';
export * from './scripts.ts';
export * from './event-marks.ts';
export * from './feedback.ts';
export * from './delivery-status.ts';
