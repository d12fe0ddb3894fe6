import { createLogger } from '@roomcast/core';
import type { EventHeaders } from '@roomcast/kafka';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ContentFilters } from './content-filter.ts';

const headers: EventHeaders = { id: 'evt_1', eventType: 'lab.result', publisher: 'DEV/GOV/MOH/lab', time: '2026-12-07T10:00:00.000Z', priority: 'NORMAL', classification: 'PHI', schemaId: 1 };

async function filtered(registry: Registry) {
  const m = await registry.getSingleMetric('roomcast_delivery_filtered_total')?.get();
  return Object.fromEntries((m?.values ?? []).map((v) => [`${v.labels.subscription}/${v.labels.mode}`, v.value]));
}

describe('ContentFilters', () => {
  it('delivers everything without a filter and never reads the payload for it', () => {
    const f = new ContentFilters(new Registry(), createLogger({ level: 'silent' }));
    expect(f.admits('push', { id: 'sub_1' }, headers, null, () => { throw new Error('read'); })).toBe(true);
  });

  it('reads the payload only for payload fields, and counts what it leaves out per mode', async () => {
    const registry = new Registry();
    const f = new ContentFilters(registry, createLogger({ level: 'silent' }));
    // A second instance (pull and streams in one process) shares the counter.
    const g = new ContentFilters(registry, createLogger({ level: 'silent' }));
    const byKey = { id: 'sub_k', filter: { prefix: { key: 'north-' } } };
    expect(f.admits('push', byKey, headers, 'north-1', () => { throw new Error('read'); })).toBe(true);
    expect(f.admits('push', byKey, headers, 'south-1', () => { throw new Error('read'); })).toBe(false);
    const byData = { id: 'sub_d', filter: { eq: { 'data.status': 'final' } } };
    let reads = 0;
    const payload = (status: string) => () => {
      reads++;
      return Buffer.from(JSON.stringify({ status }));
    };
    expect(g.admits('pull', byData, headers, null, payload('final'))).toBe(true);
    expect(g.admits('pull', byData, headers, null, payload('draft'))).toBe(false);
    expect(g.admits('stream', byData, headers, null, () => '{"status":"draft"}')).toBe(false);
    expect(reads).toBe(2);
    expect(await filtered(registry)).toEqual({ 'sub_k/push': 1, 'sub_d/pull': 1, 'sub_d/stream': 1 });
  });

  it('lets through a payload it cannot read (the delivery path decides) and a filter it cannot parse', async () => {
    const lines: string[] = [];
    const registry = new Registry();
    const f = new ContentFilters(registry, createLogger({ write: (l) => lines.push(l) }));
    const sub = { id: 'sub_x', filter: { eq: { 'data.status': 'final' } } };
    expect(f.admits('push', sub, headers, null, () => { throw new Error('no data key'); })).toBe(true);
    expect(f.admits('push', sub, headers, null, () => 'not json')).toBe(true);
    const newer = { id: 'sub_n', filter: { matches: { 'data.status': 'f.*' } } };
    expect(f.admits('push', newer, headers, null, () => '{}')).toBe(true);
    expect(f.admits('push', newer, headers, null, () => '{}')).toBe(true);
    expect(lines.filter((l) => l.includes('subscription filter not understood'))).toHaveLength(1);
    expect(await filtered(registry)).toEqual({});
  });
});
