/**
 * The one doorway to the control-plane database: a Prisma client on the engine-free pg
 * driver adapter. Only the control plane uses it; the data plane reads the routing contract.
 */
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';

export interface DbOptions {
  databaseUrl: string;
  schema?: string;
  maxConnections?: number;
}

export function createDb(options: DbOptions): PrismaClient {
  const adapter = new PrismaPg(
    { connectionString: options.databaseUrl, max: options.maxConnections ?? 5 },
    options.schema ? { schema: options.schema } : undefined,
  );
  return new PrismaClient({ adapter });
}

export async function probeDb(db: PrismaClient): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}

export type { PrismaClient };

/** Connects once with the URL and runs SELECT 1 (a start-up check, before migrations or Prisma). */
export async function probeDatabaseUrl(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}
