/**
 * The audit log against real PostgreSQL: entries are appended by audited routes, the table
 * refuses UPDATE, DELETE and TRUNCATE for everyone, and the query route filters, pages and
 * scopes member admins to their own member.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let seeded: SeededDemo;

interface Page {
  entries: { id: string; action: string; actor: string; actorRole: string; member: string | null; target: string; outcome: string; code: string | null; requestId: string; detail: unknown }[];
  nextPageToken: string | null;
}

async function audit(key: string, query = ''): Promise<{ status: number; body: Page }> {
  const res = await fetch(`${t.platform.url}/api/admin/v1/audit${query}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as Page };
}

beforeAll(async () => {
  t = await startTestPlatform('audit');
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('audit log', () => {
  it('records administrative actions with who, what, target, outcome and request id — and no secrets', async () => {
    const { status, body } = await audit(t.adminKey, '?pageSize=500');
    expect(status).toBe(200);
    expect(body.entries.length).toBeGreaterThan(3);
    for (const e of body.entries) {
      expect(e.actor).toMatch(/\S/);
      expect(e.requestId).toMatch(/\S/);
      expect(['SUCCESS', 'FAILURE']).toContain(e.outcome);
    }
    const raw = JSON.stringify(body);
    expect(raw).not.toContain(seeded.publisherKey);
    expect(raw).not.toContain(seeded.signingSecret);
    expect(raw).not.toContain(t.adminKey);
    expect(raw).not.toContain(DEMO.sampleEvent.motherId);
  });

  it('records a refused action as a failure with its error code', async () => {
    const res = await fetch(`${t.platform.url}/api/admin/v1/rooms/${seeded.roomId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.publisherKey}`, 'x-request-id': 'audit-refused-1' },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const { body } = await audit(t.adminKey, '?outcome=FAILURE');
    const entry = body.entries.find((e) => e.requestId === 'audit-refused-1');
    expect(entry?.outcome).toBe('FAILURE');
    expect(entry?.code).toMatch(/^(auth\.forbidden|room\.not_found)$/);
    expect(entry?.actor).toContain(DEMO.publisherClient);
  });

  it('pages newest first without overlap', async () => {
    const first = await audit(t.adminKey, '?pageSize=2');
    expect(first.body.entries).toHaveLength(2);
    expect(first.body.nextPageToken).not.toBeNull();
    const second = await audit(t.adminKey, `?pageSize=2&nextPageToken=${first.body.nextPageToken}`);
    const ids = [...first.body.entries, ...second.body.entries].map((e) => BigInt(e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(ids);
  });

  it('refuses bad filters with the pointer of the query parameter', async () => {
    const res = await audit(t.adminKey, '?pageSize=0&outcome=MAYBE');
    expect(res.status).toBe(400);
    const problem = res.body as unknown as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer).sort()).toEqual(['/query/outcome', '/query/pageSize']);
  });

  it('is readable by admins only', async () => {
    expect((await audit(seeded.publisherKey)).status).toBe(403);
    expect((await fetch(`${t.platform.url}/api/admin/v1/audit`)).status).toBe(401);
  });

  it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const db = t.platform.controlPlane.service.deps.db;
    await db.auditEntry.create({ data: { actor: 'test', actorRole: 'GLOBAL_ADMIN', action: 'test.append', target: 'x', outcome: 'SUCCESS', requestId: 'r' } });
    const before = await db.auditEntry.count();
    expect(before).toBeGreaterThan(0);
    await expect(db.auditEntry.updateMany({ data: { outcome: 'SUCCESS' } })).rejects.toThrow(/append-only/);
    await expect(db.auditEntry.deleteMany({})).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe(`TRUNCATE "${t.prefix}".audit_log`)).rejects.toThrow(/append-only/);
    expect(await db.auditEntry.count()).toBe(before);
  });
});
