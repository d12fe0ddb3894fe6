/** Migrations and the Prisma client against real PostgreSQL, in a schema of this test's own. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../scripts/infra/config.ts';
import { createDb } from './client.ts';
import { dropSchema, MIGRATIONS_DIR, migrate } from './migrate.ts';

const databaseUrl = infraEndpoints().databaseUrl;
const schema = `t_db_${randomBytes(5).toString('hex')}`;
const ALL = ['20261122000000_init', '20261122100000_control_plane', '20261122200000_room_data_keys', '20261207000000_room_topic', '20261207100000_environment_sample', '20261207160000_subscription_filter'];

afterAll(async () => {
  await dropSchema(databaseUrl, schema);
  await dropSchema(databaseUrl, `${schema}_b`);
});

describe('migrations', () => {
  it('apply once, record themselves in _prisma_migrations, and are idempotent', async () => {
    const first = await migrate({ databaseUrl, schema });
    expect(first.applied).toEqual(ALL);
    const second = await migrate({ databaseUrl, schema });
    expect(second).toEqual({ applied: [], alreadyApplied: ALL });
  });

  it('concurrent migrators serialise instead of failing', async () => {
    const results = await Promise.all([migrate({ databaseUrl, schema: `${schema}_b` }), migrate({ databaseUrl, schema: `${schema}_b` })]);
    expect(results.flatMap((r) => r.applied)).toEqual(ALL);
  });

  it('refuse a migration edited after it was applied', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roomcast-mig-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await writeFile(join(dir, '20261122000000_init', 'migration.sql'), '-- edited\nSELECT 1;');
    await mkdir(join(dir, 'unused'), { recursive: true });
    await expect(migrate({ databaseUrl, schema, dir })).rejects.toThrow(/was changed after it was applied/);
  });

  it('give Prisma tables it can read and write, with unique constraints enforced', async () => {
    const db = createDb({ databaseUrl, schema });
    try {
      const m = await db.member.create({ data: { id: 'mem_1', instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', name: 'Health' } });
      expect(m.status).toBe('PENDING');
      expect(await db.member.findUnique({ where: { instance_memberClass_memberCode: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH' } } })).toMatchObject({ id: 'mem_1' });
      await expect(db.member.create({ data: { id: 'mem_2', instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', name: 'Again' } })).rejects.toMatchObject({ code: 'P2002' });
    } finally {
      await db.$disconnect();
    }
  });
});
