/**
 * The Prometheus alert rules shipped in infra/prometheus are valid (promtool, installed with
 * Prometheus by scripts/infra) and watch only metrics that Roomcast really exports, and what
 * /metrics exports passes `promtool check metrics`.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { checkMetrics } from '../support/promtool.ts';

const RULES = fileURLToPath(new URL('../../infra/prometheus/alerts.yml', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../infra/prometheus/prometheus.yml', import.meta.url));
const RULE_TESTS = fileURLToPath(new URL('../../infra/prometheus/alerts.test.yml', import.meta.url));

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform('alerts');
});
afterAll(async () => {
  await t?.cleanup();
});

describe('alert rules', () => {
  it('pass promtool and are loaded by the Prometheus config', async () => {
    const rules = await promisify(execFile)('promtool', ['check', 'rules', RULES]);
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const config = await promisify(execFile)('promtool', ['check', 'config', CONFIG]);
    expect(config.stdout).toContain('1 rule files found');
  });

  it('fire when their unit tests say (promtool test rules)', async () => {
    const tested = await promisify(execFile)('promtool', ['test', 'rules', RULE_TESTS]);
    expect(tested.stdout).toContain('SUCCESS');
  });

  it('RoomcastProduceErrors watches every publish answered 503, timeouts included', () => {
    const rule = /- alert: RoomcastProduceErrors\n(?:\s+#.*\n)*\s+expr: (.+)/.exec(readFileSync(RULES, 'utf8'))?.[1] ?? '';
    expect(rule).toContain('roomcast_publish_requests_total{outcome="produce_error"}');
    expect(rule).not.toContain('roomcast_publish_produce_errors_total');
  });

  it('/metrics passes promtool check metrics', async () => {
    const exported = await (await fetch(`${t.platform.url}/metrics`)).text();
    expect(await checkMetrics(exported)).toEqual({ code: 0, output: '' });
  });

  it('use only metrics a Roomcast process exports', async () => {
    const used = new Set(readFileSync(RULES, 'utf8').match(/roomcast_[a-z_]+/g) ?? []);
    expect(used.size).toBeGreaterThan(3);
    const exported = await (await fetch(`${t.platform.url}/metrics`)).text();
    const types = new Set([...exported.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect([...used].filter((name) => !types.has(name))).toEqual([]);
  });
});
