import { describe, expect, it } from 'vitest';
import { apiKeyView, memberPath, pageOf } from './identity-views.ts';

const row = {
  id: 'key_1',
  prefix: 'rck_abcdef',
  label: null,
  role: 'APPLICATION',
  memberId: 'mem_1',
  applicationId: 'app_1',
  createdAt: new Date('2026-11-01T00:00:00Z'),
  lastUsedAt: new Date('2026-11-20T10:00:00Z'),
  revokedAt: null,
};

describe('apiKeyView', () => {
  it('shows the newer of the persisted and the recorded last use, and never a hash', () => {
    expect(apiKeyView(row).lastUsedAt).toBe('2026-11-20T10:00:00.000Z');
    expect(apiKeyView(row, new Date('2026-11-21T08:00:00Z')).lastUsedAt).toBe('2026-11-21T08:00:00.000Z');
    expect(apiKeyView(row, new Date('2026-11-19T08:00:00Z')).lastUsedAt).toBe('2026-11-20T10:00:00.000Z');
    expect(apiKeyView({ ...row, lastUsedAt: null }).lastUsedAt).toBeNull();
    expect(Object.keys(apiKeyView({ ...row, hash: 'secret' } as typeof row))).not.toContain('hash');
  });
});

describe('pageOf', () => {
  it('returns a token only when a row beyond the page was fetched', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(pageOf(rows, 2)).toEqual({ page: [{ id: 'a' }, { id: 'b' }], nextPageToken: 'b' });
    expect(pageOf(rows, 3)).toEqual({ page: rows, nextPageToken: null });
  });
});

describe('memberPath', () => {
  it('names a member INSTANCE/CLASS/MEMBER', () => {
    expect(memberPath({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH' })).toBe('DEV/GOV/MOH');
  });
});
