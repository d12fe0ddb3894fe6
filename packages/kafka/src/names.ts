/**
 * Every Kafka topic and consumer-group name Roomcast uses is built here, from one prefix.
 * Tests give each run its own prefix, which isolates their topics and groups.
 */
import type { RoomAddress } from '@roomcast/core';

export interface KafkaNames {
  roomTopic(room: RoomAddress): string;
  urgentTopic(room: RoomAddress): string;
  subscriptionGroup(subscriptionId: string): string;
  deadLetterTopic(): string;
  deliveryLogTopic(): string;
  /** The consumer group the message-log sinks share. */
  logSinkGroup(): string;
}

export function kafkaNames(prefix: string): KafkaNames {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) throw new Error(`invalid Kafka name prefix: ${prefix}`);
  const room = (r: RoomAddress) => `${prefix}.room.${r.instance}.${r.memberClass}.${r.memberCode}.${r.room}`;
  return {
    roomTopic: room,
    urgentTopic: (r) => `${room(r)}.urgent`,
    subscriptionGroup: (id) => `${prefix}.sub.${id}`,
    deadLetterTopic: () => `${prefix}.dead-letter`,
    deliveryLogTopic: () => `${prefix}.delivery-log`,
    logSinkGroup: () => `${prefix}.log-sink`,
  };
}
