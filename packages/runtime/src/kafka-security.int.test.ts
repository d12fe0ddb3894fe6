/**
 * The production Kafka settings against the local broker's second listener, SASL_SSL with
 * PLAIN (infra/kafka/server.properties): TLS verified against a CA file, SASL credentials, a
 * produce and a consume through it — and the start-up check naming the problem when the
 * password or the TLS setting is wrong. (Skipped when ROOMCAST_KAFKA_BROKERS names another
 * cluster: its listeners are not ours.)
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, silentLogger } from '@roomcast/core';
import { ACKS_ALL, createDurableProducer, ensureTopics } from '@roomcast/kafka';
import { describe, expect, it } from 'vitest';
import { HOST, isExternal, KAFKA_SASL_USER, PORTS } from '../../../scripts/infra/config.ts';
import { KAFKA_TLS_CA_FILE } from '../../../scripts/infra/kafka.ts';
import { commonConfigSpec } from './config.ts';
import { preflight, runtimeProbes } from './preflight.ts';
import { createRuntime, runtimeSettings } from './runtime.ts';

const env = (over: Record<string, string> = {}) => ({
  ROOMCAST_KAFKA_BROKERS: `${HOST}:${PORTS.kafkaSasl}`,
  ROOMCAST_KAFKA_TLS_CA_FILE: KAFKA_TLS_CA_FILE,
  ROOMCAST_KAFKA_SASL_MECHANISM: 'plain',
  ROOMCAST_KAFKA_SASL_USERNAME: KAFKA_SASL_USER.username,
  ROOMCAST_KAFKA_SASL_PASSWORD: KAFKA_SASL_USER.password,
  ROOMCAST_DEV_MODE: 'true',
  ...over,
});

describe.skipIf(isExternal('kafka'))('Kafka over SASL_SSL', () => {
  it('produces and consumes through TLS with SASL PLAIN, configured by the settings', async () => {
    const config = loadConfig(commonConfigSpec, env());
    await preflight(runtimeProbes(config).slice(0, 1));
    const runtime = createRuntime(runtimeSettings(config, 'roomcast-sasl-test'), silentLogger);
    const topic = `t_sasl_${randomBytes(4).toString('hex')}`;
    const producer = createDurableProducer(runtime.kafka);
    const consumer = runtime.kafka.consumer({ groupId: `${topic}.g` });
    try {
      await ensureTopics(runtime.kafka, [{ topic, partitions: 1 }]);
      await producer.connect();
      await producer.send({ topic, acks: ACKS_ALL, messages: [{ key: 'k', value: 'over tls' }] });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const value = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
      expect(value).toBe('over tls');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      const admin = runtime.kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
      await runtime.close();
    }
  }, 60_000);

  it.each([
    ['a wrong password', { ROOMCAST_KAFKA_SASL_PASSWORD: 'wrong' }, /SASL|authenticat/i],
    ['no TLS to the TLS listener', { ROOMCAST_KAFKA_TLS_CA_FILE: '' }, /Kafka/],
    ['a CA that did not sign the broker', { ROOMCAST_KAFKA_TLS: 'true', ROOMCAST_KAFKA_TLS_CA_FILE: '' }, /certificate/i],
  ])('refuses to start with %s, naming the settings', async (_, over, cause) => {
    const config = loadConfig(commonConfigSpec, env(over));
    const probe = runtimeProbes(config).slice(0, 1);
    const err = await preflight(probe, 3000).then(
      () => undefined,
      (e: unknown) => e as { name: string; lines: string[] },
    );
    expect(err?.name).toBe('DependencyError');
    expect(err?.lines).toEqual([expect.stringMatching(/^roomcast: cannot use Kafka at 127\.0\.0\.1:\d+ — check ROOMCAST_KAFKA_BROKERS/)]);
    expect(err?.lines[0]).toMatch(cause);
    expect(err?.lines[0]).not.toContain(KAFKA_SASL_USER.password);
  });

  it('refuses half-set SASL settings as a configuration error', () => {
    expect(() => runtimeSettings(loadConfig(commonConfigSpec, env({ ROOMCAST_KAFKA_SASL_PASSWORD: '' })), 'x')).toThrow(/go together/);
  });
});
