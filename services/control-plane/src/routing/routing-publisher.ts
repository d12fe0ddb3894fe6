/**
 * Derives the routing contract from Postgres and publishes it as a new generation. Every
 * control-plane write that changes routing goes through `changeAndRepublish(reason, change)`:
 * the change commits, then the contract is rebuilt and published.
 * Generations come from a Postgres sequence, and building + publishing runs under an advisory
 * lock, so a higher generation is never built from an older snapshot than a lower one.
 * Republishes in one process coalesce (`coalescing.ts`): the calls that arrive while a build runs
 * share one next build, started when it ends — never the running one, which may have read
 * Postgres before their change committed. So the generation a caller gets includes its change,
 * and a burst of writes costs a few whole-contract builds (and follower reloads) instead of one each.
 */
import type { Logger, RoomAddress } from '@roomcast/core';
import type { Prisma, PrismaClient } from '@roomcast/db';
import type { KafkaNames } from '@roomcast/kafka';
import type { Redis, RedisKeys } from '@roomcast/redis';
import { type ContractKeys, publishContract, type RoutingContract } from '@roomcast/routing';
import { contractDataKeys } from '../rooms/data-keys.ts';
import { contractSecrets } from '../subscriptions/subscription-model.ts';
import { contractIdentities } from '../identity/api-keys.ts';
import { coalescing } from './coalescing.ts';
import type { Republished, RoutingPublisher } from './types.ts';

const LOCK_ID = 7_410_218_203;
/** The length a shared build's reason stops growing at: the column is unbounded text, but a burst can share one build among hundreds. */
const REASON_LENGTH = 200;

/** The reason of a build shared by several callers: the first whole, then as many as fit, then how many more. */
export function sharedReason(reasons: string[], max = REASON_LENGTH): string {
  let text = reasons[0] ?? '';
  let used = 1;
  for (; used < reasons.length; used++) {
    const longer = `${text}; ${reasons[used]}`;
    const rest = reasons.length - used - 1;
    if (longer.length + (rest > 0 ? ` (+${rest} more)`.length : 0) > max) break;
    text = longer;
  }
  return used < reasons.length ? `${text} (+${reasons.length - used} more)` : text;
}

export async function buildContract(db: Prisma.TransactionClient, names: KafkaNames, generation: number): Promise<RoutingContract> {
  // One after another: inside a transaction they share one connection, which runs one query at a time.
  const rooms = await db.room.findMany({ where: { status: 'APPROVED' }, include: { member: true, eventTypes: true, dataKeys: true } });
  const identities = await contractIdentities(db);
  const contracts = await db.publisherContract.findMany({ where: { revokedAt: null }, include: { application: true, eventType: true } });
  const subs = await db.subscription.findMany({ where: { status: { in: ['ACTIVE', 'PAUSED'] } }, include: { application: true, eventType: true } });
  const allowlist = await db.endpointAllowlist.findMany({ select: { pattern: true }, orderBy: { pattern: 'asc' } });
  const now = new Date();
  const address = (r: (typeof rooms)[number]): RoomAddress => ({
    instance: r.member.instance,
    memberClass: r.member.memberClass,
    memberCode: r.member.memberCode,
    room: r.code,
  });
  return {
    generation,
    createdAt: new Date().toISOString(),
    rooms: rooms.map((r) => ({
      id: r.id,
      address: address(r),
      // Rooms from before injective naming keep their legacy topic (decision 0024).
      ...names.topicsOfRoom(address(r), r.topic),
      partitions: r.partitions,
      eventTypes: r.eventTypes.map((t) => ({
        name: t.name,
        schemaId: t.schemaId,
        schemaVersion: t.schemaVersion,
        keyPointer: t.keyPointer,
        classification: t.classification,
        priority: t.priority,
      })),
      ...(r.dataKeys.length > 0 ? { dataKeys: contractDataKeys(r.dataKeys) } : {}),
    })),
    principals: identities.principals,
    applications: identities.applications,
    endpointAllowlist: allowlist.map((e) => e.pattern),
    publishers: contracts.map((c) => ({ clientId: c.application.clientId, roomId: c.roomId, eventType: c.eventType.name })),
    subscriptions: subs.map((s) => ({
      id: s.id,
      roomId: s.roomId,
      eventType: s.eventType.name,
      clientId: s.application.clientId,
      mode: s.mode,
      status: s.status as 'ACTIVE' | 'PAUSED',
      pushUrl: s.pushUrl,
      signingSecrets: contractSecrets(s, now),
      fifo: s.fifo,
      ttlSeconds: s.ttlSeconds,
      retry: { maxAttempts: s.maxAttempts, initialDelayMs: s.initialDelayMs, maxDelayMs: s.maxDelayMs, multiplier: s.backoffMultiplier },
      timeoutMs: s.timeoutMs,
      maxInFlight: s.maxInFlight,
      rateLimitPerSec: s.rateLimitPerSec,
      group: names.subscriptionGroup(s.id),
      ...(s.filter !== null && typeof s.filter === 'object' && !Array.isArray(s.filter) ? { filter: s.filter as Record<string, unknown> } : {}),
    })),
  };
}

export function routingPublisher(db: PrismaClient, names: KafkaNames, redis: Redis, keys: RedisKeys, signing: ContractKeys, logger: Logger): RoutingPublisher {
  const build = (reason: string): Promise<number> =>
    db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_ID})`;
        const { id: generation } = await tx.routingGeneration.create({ data: { reason } });
        const contract = await buildContract(tx, names, generation);
        await publishContract(redis, keys, signing, contract);
        logger.info('routing contract published', { generation, reason, rooms: contract.rooms.length, subscriptions: contract.subscriptions.length });
        return generation;
      },
      { timeout: 15_000 },
    );
  const republish = coalescing((reasons: string[]) => build(sharedReason(reasons)));
  // The change commits first (it awaits its own transaction or writes); only then is the contract rebuilt.
  async function changeAndRepublish<T>(reason: string | ((result: T) => string | undefined), change: () => Promise<T>): Promise<Republished<T, number | null>> {
    const result = await change();
    const why = typeof reason === 'string' ? reason : reason(result);
    return { result, generation: why === undefined ? null : await republish(why) };
  }
  // One implementation serves both overloads of the interface.
  return { republish, changeAndRepublish } as RoutingPublisher;
}
