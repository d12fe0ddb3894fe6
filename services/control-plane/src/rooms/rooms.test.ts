import { describe, expect, it } from 'vitest';
import { pageArgs, pageOf } from '../http/paging.ts';
import { type RoomWithMember, roomView } from './rooms.ts';

const member = { id: 'mem_1', instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', name: 'MoH', status: 'APPROVED' as const, createdAt: new Date(0) };
const room = (over: Partial<RoomWithMember> = {}): RoomWithMember => ({
  id: 'room_1',
  memberId: 'mem_1',
  code: 'births',
  topic: 'rc.rooms.DEV.GOV.MOH.births',
  status: 'PENDING',
  partitions: 3,
  retentionMs: null,
  autoApprove: false,
  description: null,
  createdAt: new Date('2026-11-22T10:00:00Z'),
  approvedAt: null,
  member,
  ...over,
});

describe('roomView', () => {
  it('shows the platform retention until the room has its own, and no internal ids', () => {
    expect(roomView(room(), 604_800_000)).toEqual({
      id: 'room_1',
      instance: 'DEV',
      memberClass: 'GOV',
      memberCode: 'MOH',
      room: 'births',
      status: 'PENDING',
      partitions: 3,
      retentionMs: 604_800_000,
      autoApprove: false,
      description: null,
      createdAt: '2026-11-22T10:00:00.000Z',
      approvedAt: null,
    });
    expect(roomView(room({ retentionMs: 1_209_600_000n }), 604_800_000).retentionMs).toBe(1_209_600_000);
  });
});

describe('paging', () => {
  it('asks for one row more than a page and hands out the last id as the next token', () => {
    expect(pageArgs({ pageSize: 2 })).toMatchObject({ take: 3 });
    expect(pageArgs({ pageSize: 2, nextPageToken: 'room_b' })).toMatchObject({ take: 3, cursor: { id: 'room_b' }, skip: 1 });
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(pageOf(rows, 2)).toEqual({ items: [{ id: 'a' }, { id: 'b' }], nextPageToken: 'b' });
    expect(pageOf(rows, 3)).toEqual({ items: rows, nextPageToken: null });
  });
});
