export * from './client.ts';
export * from './migrate.ts';
export { Prisma } from './generated/client.ts';
export type * from './generated/models.ts';
export * from './generated/enums.ts';
