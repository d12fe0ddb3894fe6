/**
 * Every Kafka topic and consumer-group name Roomcast uses is built here, from one prefix.
 * Tests give each run its own prefix, which isolates their topics and groups.
 *
 * Room topics (decision 0024). Kafka treats `.` and `_` in topic names as the same character
 * (they collide in metric names), and room address segments may contain `_`, so joining the
 * segments with `.` was not injective: member SECA's room B_C and member SECA_B's room C named
 * colliding topics and the second could never be created. Room topics are now
 * `<prefix>.rooms.<instance>.<class>.<member>.<room>` with each segment escaped (`-` → `--`,
 * `_` → `-u`): no `_` is left, `.` only separates, and the escape decodes left to right, so
 * distinct addresses give distinct names under Kafka's rule too. A name that would pass
 * Kafka's 249-character limit (with `.urgent`) becomes `<prefix>.rooms.h.<digest>`. Rooms
 * created before this keep their stored legacy name (`legacyRoomTopic`).
 */
import { createHash } from 'node:crypto';
import type { RoomAddress } from '@roomcast/core';

export interface KafkaNames {
  /** The topic a new room gets (stored with the room; existing rooms keep theirs). */
  roomTopic(room: RoomAddress): string;
  /** The urgent lane of a new room's topic. */
  urgentTopic(room: RoomAddress): string;
  /** The name rooms created before injective naming have: segments joined with `.`. */
  legacyRoomTopic(room: RoomAddress): string;
  /** A room's topics from its stored name, or its legacy name when it has none (a room from before). */
  topicsOfRoom(room: RoomAddress, stored: string | null): { topic: string; urgentTopic: string };
  subscriptionGroup(subscriptionId: string): string;
  deadLetterTopic(): string;
  /** Dead letters handed back for delivery, each naming its one target subscription (decision 0026). */
  redriveTopic(): string;
  /** The one consumer group of every dispatcher reading the redrive topic. */
  redriveGroup(): string;
  deliveryLogTopic(): string;
  /** The consumer group the message-log sinks share. */
  logSinkGroup(): string;
}

export function kafkaNames(prefix: string): KafkaNames {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) throw new Error(`invalid Kafka name prefix: ${prefix}`);
  const legacy = (r: RoomAddress) => `${prefix}.room.${r.instance}.${r.memberClass}.${r.memberCode}.${r.room}`;
  const room = (r: RoomAddress) => {
    const name = `${prefix}.rooms.${[r.instance, r.memberClass, r.memberCode, r.room].map(escapeSegment).join('.')}`;
    if (name.length + URGENT_SUFFIX.length <= MAX_TOPIC_LENGTH) return name;
    const digest = createHash('sha256').update([r.instance, r.memberClass, r.memberCode, r.room].join('/')).digest('hex').slice(0, 40);
    return `${prefix}.rooms.h.${digest}`;
  };
  return {
    roomTopic: room,
    urgentTopic: (r) => urgentTopicOf(room(r)),
    legacyRoomTopic: legacy,
    topicsOfRoom: (r, stored) => {
      const topic = stored ?? legacy(r);
      return { topic, urgentTopic: urgentTopicOf(topic) };
    },
    subscriptionGroup: (id) => `${prefix}.sub.${id}`,
    deadLetterTopic: () => `${prefix}.dead-letter`,
    redriveTopic: () => `${prefix}.redrive`,
    redriveGroup: () => `${prefix}.redrive`,
    deliveryLogTopic: () => `${prefix}.delivery-log`,
    logSinkGroup: () => `${prefix}.log-sink`,
  };
}

/** Kafka's longest topic name. */
export const MAX_TOPIC_LENGTH = 249;
const URGENT_SUFFIX = '.urgent';

/** The urgent lane of a room topic (legacy or not). */
export function urgentTopicOf(topic: string): string {
  return `${topic}${URGENT_SUFFIX}`;
}

/** One address segment inside a topic name: `-` → `--`, `_` → `-u` (segments hold only letters, digits, `-` and `_`). */
export function escapeSegment(segment: string): string {
  return segment.replace(/[-_]/g, (c) => (c === '-' ? '--' : '-u'));
}
