import { describe, expect, it } from 'vitest';
import { decodeCursor, deadLetterId, deadLetterWhere, encodeCursor, parseDeadLetterId } from './dead-letter-query.ts';

describe('dead-letter filters as SQL', () => {
  it('scope every query to the topic and the subscription, unclaimed by default', () => {
    const params: unknown[] = [];
    const sql = deadLetterWhere('p.dead-letter', 'sub_1', { state: 'dead' }, params);
    expect(sql).toBe('dl.topic = $1 AND dl.subscription_id = $2 AND NOT EXISTS (SELECT 1 FROM dead_letter_claims c WHERE c.topic = dl.topic AND c.kpartition = dl.kpartition AND c.koffset = dl.koffset)');
    expect(params).toEqual(['p.dead-letter', 'sub_1']);
  });

  it('turn each filter into one numbered condition, after parameters the caller already holds', () => {
    const from = new Date('2026-12-01T00:00:00Z');
    const to = new Date('2026-12-02T00:00:00Z');
    const params: unknown[] = ['mine'];
    const sql = deadLetterWhere('t', 's', { from, to, eventType: 'newBirth', errorClass: 'HTTP 400', httpStatus: 400, ids: [{ partition: 1, offset: '7' }], state: 'redriven' }, params);
    expect(sql).toContain('dl.dead_lettered_at >= $4');
    expect(sql).toContain('dl.dead_lettered_at < $5');
    expect(sql).toContain('dl.event_type = $6');
    // The error class matches the reason or the last error, with one parameter.
    expect(sql).toContain('(dl.reason = $7 OR dl.detail = $7)');
    expect(sql).toContain('dl.http_status = $8');
    expect(sql).toContain('(dl.kpartition, dl.koffset) IN (SELECT * FROM unnest($9::int[], $10::bigint[]))');
    expect(sql).toContain("EXISTS (SELECT 1 FROM dead_letter_claims c WHERE c.topic = dl.topic AND c.kpartition = dl.kpartition AND c.koffset = dl.koffset AND c.action = 'redrive')");
    expect(params).toEqual(['mine', 't', 's', from, to, 'newBirth', 'HTTP 400', 400, [1], ['7']]);
  });

  it('state all adds no claim condition; purged asks for a purge claim', () => {
    expect(deadLetterWhere('t', 's', { state: 'all' }, [])).not.toContain('dead_letter_claims');
    expect(deadLetterWhere('t', 's', { state: 'purged' }, [])).toContain("c.action = 'purge'");
  });

  it('continue a page strictly after the cursor position (newest first)', () => {
    const params: unknown[] = [];
    const at = new Date('2026-12-07T10:00:00Z');
    const sql = deadLetterWhere('t', 's', { state: 'all' }, params, { at, partition: 2, offset: '41' });
    expect(sql).toContain('(dl.dead_lettered_at, dl.kpartition, dl.koffset) < ($3, $4, $5::bigint)');
    expect(params.slice(2)).toEqual([at, 2, '41']);
  });
});

describe('dead-letter ids and cursors', () => {
  it('round-trip and refuse what they did not make', () => {
    expect(parseDeadLetterId(deadLetterId({ partition: 3, offset: '12345678901' }))).toEqual({ partition: 3, offset: '12345678901' });
    for (const bad of ['dl_1', 'dl_a_1', 'x_1_2', 'dl_1_99999999999999999999', 'dl_-1_2', 'dl_1_2 ']) expect(parseDeadLetterId(bad)).toBeUndefined();
    const p = { at: new Date('2026-12-07T10:00:00.123Z'), partition: 1, offset: '9' };
    expect(decodeCursor(encodeCursor(p))).toEqual(p);
    for (const bad of ['nonsense', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["x",1,"2"]').toString('base64url'), Buffer.from('["2026-12-07T10:00:00Z",1,"2; DROP"]').toString('base64url')]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });
});
