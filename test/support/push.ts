/** Helpers shared by the push-delivery tests: one approved PUSH subscription, and a metric read back. */
import { expect } from 'vitest';
import { DEMO } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import type { caller } from './api.ts';
import type { TestPlatform } from './platform.ts';

/**
 * A new application `code` of the member, with an approved PUSH subscription to the demo event
 * type delivering to a fresh local subscriber (added to `sinks`, for the caller to close), once
 * the data plane has the generation that approved it.
 */
export async function subscribePush(
  t: TestPlatform,
  call: ReturnType<typeof caller>,
  member: { id: string; code: string },
  code: string,
  options: Record<string, unknown>,
  sinks: Subscriber[],
): Promise<{ id: string; sink: Subscriber }> {
  const sink = await startSubscriber(`/${code}`);
  sinks.push(sink);
  const app = await call('POST', `/api/admin/v1/members/${member.id}/applications`, { key: t.adminKey, body: { code } });
  expect(app.status).toBe(201);
  const sub = await call('POST', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, {
    key: String(app.body.apiKey),
    client: `DEV/GOV/${member.code}/${code}`,
    body: { eventType: DEMO.eventType, delivery: 'PUSH', options: { pushUrl: sink.url, ...options } },
  });
  expect(sub.status).toBe(200);
  const approved = await call('POST', `/api/admin/v1/subscriptions/${String(sub.body.id)}/approve`, { key: t.adminKey });
  expect(approved.status).toBe(200);
  await t.platform.routing.waitFor(Number(approved.body.generation));
  sink.setSecret(String(sub.body.signingSecret));
  return { id: String(sub.body.id), sink };
}

/** The value of one series (name and labels exactly as exported) in a process's /metrics; undefined when absent. */
export async function metricValue(baseUrl: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}
