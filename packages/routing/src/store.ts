/**
 * Carries the routing contract from the control plane to the data plane through Redis:
 * the current contract lives under one key (with its generation under another), and every
 * new generation is announced on a pub/sub channel. Followers load the key at start, reload
 * on each announcement, and poll as a safety net for announcements missed while reconnecting.
 *
 * Why Redis and not a compacted Kafka topic: the contract is one small document read whole;
 * a GET is simpler to reason about than replaying a topic to its end, and Redis is already a
 * hard dependency of the data plane (rate limits, dedup). Generations only move forward: a
 * write with a generation not above the stored one is refused atomically.
 */
import type { Logger } from '@roomcast/core';
import type { Redis, RedisKeys } from '@roomcast/redis';
import { Ajv, type ErrorObject } from 'ajv';
import { EMPTY_CONTRACT, indexContract, type RoutingContract, type RoutingIndex } from './contract.ts';
import { ROUTING_CONTRACT_SCHEMA } from './contract-schema.ts';
import { type ContractKeys, ContractSignatureError } from './signing.ts';

/** A contract whose shape does not match the schema (contract-schema.ts); refused like an unsigned one. */
export class ContractShapeError extends Error {
  constructor(errors: ErrorObject[] | null | undefined) {
    const listed = (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    super(`the routing contract does not match its schema: ${listed.join('; ')}`);
    this.name = 'ContractShapeError';
  }
}

// Formats are annotations here; the shape (fields, types, enums) is what is checked.
const ajvOptions = { strict: false, allErrors: true, validateFormats: false } as const;
/** Before publishing: exactly the schema, so a field the builder adds without describing it fails at once. */
const exactShape = new Ajv(ajvOptions).compile(ROUTING_CONTRACT_SCHEMA);
/** When loading: fields this version does not know (a newer control plane's) are dropped, not refused. */
const knownShape = new Ajv({ ...ajvOptions, removeAdditional: true }).compile(ROUTING_CONTRACT_SCHEMA);

/** The contract of a verified JSON text, its shape checked (throws `ContractShapeError`). */
export function parseContract(text: string): RoutingContract {
  const value: unknown = JSON.parse(text);
  if (!knownShape(value)) throw new ContractShapeError(knownShape.errors);
  return value as RoutingContract;
}

/** Throws `ContractShapeError` unless `contract` is exactly what the schema describes. */
export function checkContractShape(contract: RoutingContract): void {
  if (!exactShape(contract)) throw new ContractShapeError(exactShape.errors);
}

const PUBLISH_IF_NEWER = `
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
local gen = tonumber(ARGV[2])
if gen <= cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PUBLISH', KEYS[3], ARGV[2])
return 1`;

function generationKey(keys: RedisKeys): string {
  return `${keys.routingContract}:generation`;
}

const REPLACE = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PUBLISH', KEYS[3], ARGV[2])
return 1`;

/**
 * Returns true when stored, false when an equal or newer generation was already there. A
 * stored contract that does not verify (written to Redis by someone without the key, maybe
 * with an inflated generation to block updates) is replaced whatever its generation.
 */
export async function publishContract(redis: Redis, keys: RedisKeys, signing: ContractKeys, contract: RoutingContract): Promise<boolean> {
  checkContractShape(contract);
  const stored = await redis.eval(
    PUBLISH_IF_NEWER,
    3,
    keys.routingContract,
    generationKey(keys),
    keys.routingChannel,
    signing.sign(JSON.stringify(contract)),
    String(contract.generation),
  );
  if (stored === 1) return true;
  const raw = await redis.get(keys.routingContract);
  try {
    if (raw) signing.open(raw);
    return false;
  } catch (err) {
    if (!refusable(err)) throw err;
    await redis.eval(REPLACE, 3, keys.routingContract, generationKey(keys), keys.routingChannel, signing.sign(JSON.stringify(contract)), String(contract.generation));
    return true;
  }
}

/**
 * The stored contract, its signature and its shape checked (throws `ContractSignatureError`
 * when it does not verify, `ContractShapeError` when it does not match the schema).
 */
export async function loadContract(redis: Redis, keys: RedisKeys, signing: ContractKeys): Promise<RoutingContract> {
  const raw = await redis.get(keys.routingContract);
  return raw ? parseContract(signing.open(raw)) : EMPTY_CONTRACT;
}

const refusable = (err: unknown) => err instanceof ContractSignatureError || err instanceof ContractShapeError;

export type ContractListener = (next: RoutingIndex, previous: RoutingIndex) => void;

export interface RoutingFollower {
  current(): RoutingIndex;
  onChange(listener: ContractListener): () => void;
  /** Resolves once the follower holds at least this generation (or rejects after timeoutMs). */
  waitFor(generation: number, timeoutMs?: number): Promise<RoutingIndex>;
  stop(): Promise<void>;
}

export interface FollowOptions {
  redis: Redis;
  keys: RedisKeys;
  /** Verifies each contract read; one that does not verify is refused and the current one kept. */
  signing: ContractKeys;
  /** Counts refused contracts (metrics). */
  onRefused?: (err: unknown) => void;
  logger: Logger;
  pollMs?: number;
}

export async function followContract(options: FollowOptions): Promise<RoutingFollower> {
  const { redis, keys, logger, signing } = options;
  const refuse = (err: unknown) => {
    logger.error('routing contract refused (not signed with a routing key, or not of the expected shape); keeping the current one', { error: err });
    options.onRefused?.(err);
  };
  // A subscriber connection may only run (P|S)SUBSCRIBE commands; ioredis's ready check (INFO)
  // would race with the subscription after a reconnect, so it is off for this connection.
  const sub = redis.duplicate({ enableReadyCheck: false });
  // A contract that does not verify at start is not used: the process routes nothing until the
  // control plane publishes a signed one (it republishes at every start).
  let index = indexContract(await loadContract(redis, keys, signing).catch((err: unknown) => {
    if (!(err instanceof ContractSignatureError)) throw err;
    refuse(err);
    return EMPTY_CONTRACT;
  }));
  const listeners = new Set<ContractListener>();
  let refreshing: Promise<void> | undefined;

  // An announcement that arrives while a reload is in flight may name a generation that reload
  // missed: it asks for one more reload after it, instead of joining it (and being lost until the poll).
  let again = false;
  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        const next = await loadContract(redis, keys, signing);
        if (next.generation > index.contract.generation) {
          const previous = index;
          index = indexContract(next);
          logger.info('routing contract updated', { generation: next.generation, from: previous.contract.generation });
          for (const l of listeners) l(index, previous);
        }
      } catch (err) {
        if (refusable(err)) refuse(err);
        else logger.warn('routing contract refresh failed', { error: err });
      } finally {
        refreshing = undefined;
        if (again) {
          again = false;
          void refresh();
        }
      }
    })();
    return refreshing;
  };

  sub.on('message', () => void refresh());
  await sub.subscribe(keys.routingChannel);
  // Announcements made before the subscription was in place would be missed: re-read once.
  await refresh();
  const poll = setInterval(() => void refresh(), options.pollMs ?? 5000);
  poll.unref();

  return {
    current: () => index,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async waitFor(generation, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (index.contract.generation < generation) {
        if (Date.now() > deadline) throw new Error(`routing contract generation ${generation} not seen within ${timeoutMs} ms`);
        await refresh();
        if (index.contract.generation < generation) await new Promise((r) => setTimeout(r, 25));
      }
      return index;
    },
    async stop() {
      clearInterval(poll);
      listeners.clear();
      await sub.quit().catch(() => sub.disconnect());
    },
  };
}
