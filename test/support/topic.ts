/** Reads a whole topic as it is now (up to each partition's high watermark), for tests that count records. */
import { decodeHeaders, type KafkaMessage } from '@roomcast/kafka';
import type { Platform } from '@roomcast/all';

let probes = 0;

/** The `rc-id` header of every record on the topic, in partition order. */
export async function topicEventIds(platform: Platform, prefix: string, topic: string): Promise<string[]> {
  const records = await topicRecords(platform, prefix, topic);
  return records.flatMap((m) => decodeHeaders(m.headers)?.id ?? []);
}

/** Every record on the topic, in partition order. */
export async function topicRecords(platform: Platform, prefix: string, topic: string): Promise<KafkaMessage[]> {
  const admin = platform.runtime.kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const high = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  const waiting = new Set([...high].filter(([, h]) => h > 0).map(([p]) => p));
  const records: KafkaMessage[] = [];
  if (waiting.size === 0) return records;
  const consumer = platform.runtime.kafka.consumer({ groupId: `${prefix}.probe-${++probes}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`topic ${topic} not read to its end`)), 20_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          records.push(message);
          if (Number(message.offset) + 1 >= (high.get(partition) ?? 0)) waiting.delete(partition);
          if (waiting.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
