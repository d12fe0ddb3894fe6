/**
 * Limits anonymous member applications (`POST /members/apply`), the one route that creates
 * rows without credentials: at most `perWindow` per client network (an IPv4 address, an IPv6
 * /64) per window, counted in Redis so every control-plane process shares the count, and none
 * while `maxPending` members already wait for a decision (so member codes cannot be squatted
 * in bulk). A refusal is 429 `member.apply_limited` with Retry-After, runs before the body is
 * read and is not audited (a flood must not grow the audit log); it is counted in
 * `roomcast_member_apply_refused_total{reason}`.
 */
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { normaliseAllowPattern, RoomcastError } from '@roomcast/core';
import type { PrismaClient } from '@roomcast/db';
import { countInWindow, type Redis, type RedisKeys } from '@roomcast/redis';
import type { Context } from 'hono';
import { Counter, type Registry } from 'prom-client';

export interface ApplyLimits {
  /** Applications per client network per window. */
  perWindow: number;
  windowMs: number;
  /** Applications refused while this many members are PENDING. */
  maxPending: number;
}

/** The network a client address is counted under: IPv4 as itself, IPv6 by its /64. */
export function clientNetwork(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return mapped;
  if (isIP(address) === 6) return normaliseAllowPattern(`${address}/64`) ?? address;
  return address;
}

export class ApplyThrottle {
  readonly #o: { redis: Redis; keys: RedisKeys; db: PrismaClient; limits: ApplyLimits };
  readonly #refused: Counter<'reason'>;

  constructor(o: { redis: Redis; keys: RedisKeys; db: PrismaClient; limits: ApplyLimits; metrics: Registry }) {
    this.#o = o;
    this.#refused = new Counter({
      name: 'roomcast_member_apply_refused_total',
      help: 'Anonymous member applications refused by the throttle, by reason (address: too many from one client network; pending: too many members awaiting a decision)',
      labelNames: ['reason'],
      registers: [o.metrics],
    });
  }

  /** Throws 429 when this request may not apply now. */
  async admit(c: Context): Promise<void> {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const network = clientNetwork(incoming?.socket.remoteAddress);
    const { limits } = this.#o;
    const { count, resetMs } = await countInWindow(this.#o.redis, this.#o.keys.applyWindow(network), limits.windowMs);
    if (count > limits.perWindow) {
      this.#refused.inc({ reason: 'address' });
      throw new RoomcastError('member.apply_limited', {
        detail: `At most ${limits.perWindow} applications per client network every ${Math.round(limits.windowMs / 60_000)} minutes`,
        headers: { 'retry-after': String(Math.ceil(resetMs / 1000)) },
      });
    }
    const pending = await this.#o.db.member.count({ where: { status: 'PENDING' } });
    if (pending >= limits.maxPending) {
      this.#refused.inc({ reason: 'pending' });
      throw new RoomcastError('member.apply_limited', { detail: `${pending} applications already await a decision; try again later`, headers: { 'retry-after': '3600' } });
    }
  }
}

export const DEFAULT_APPLY_LIMITS: ApplyLimits = { perWindow: 10, windowMs: 3_600_000, maxPending: 200 };
