/**
 * The data plane's requests to the control plane, through a Redis stream: the data plane never
 * writes Postgres, so when a dispatcher learns something the control plane must record (an
 * endpoint answered 410 Gone: disable the subscription) it appends a request here. The control
 * plane reads the stream as a consumer group, applies each request idempotently and
 * acknowledges it, so a request survives a control-plane restart and is applied once per group.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis.ts';

export interface FeedbackRequest {
  kind: 'disable-subscription';
  subscriptionId: string;
  reason: string;
  at: string;
}

const GROUP = 'control-plane';
const MAX_LEN = 10_000;

export function feedbackWriter(redis: Redis, keys: RedisKeys) {
  return async (req: Omit<FeedbackRequest, 'at'>): Promise<void> => {
    const body: FeedbackRequest = { ...req, at: new Date().toISOString() };
    await redis.xadd(keys.dataPlaneFeedback, 'MAXLEN', '~', String(MAX_LEN), '*', 'request', JSON.stringify(body));
  };
}

export interface FeedbackReader {
  stop(): Promise<void>;
}

/**
 * Applies requests until stopped. `apply` must be idempotent: a request whose acknowledgement
 * was lost is applied again. A request that cannot be parsed is acknowledged and dropped.
 */
export function followFeedback(
  redis: Redis,
  keys: RedisKeys,
  consumer: string,
  apply: (req: FeedbackRequest) => Promise<void>,
  onError: (err: unknown) => void,
): FeedbackReader {
  // Blocking reads need their own connection.
  const conn = redis.duplicate();
  let running = true;
  const loop = (async () => {
    await conn.xgroup('CREATE', keys.dataPlaneFeedback, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
    // First what this consumer left unacknowledged, then new requests.
    let cursor = '0';
    while (running) {
      try {
        const res = (await conn.xreadgroup('GROUP', GROUP, consumer, 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', keys.dataPlaneFeedback, cursor)) as [string, [string, string[]][]][] | null;
        const entries = res?.[0]?.[1] ?? [];
        if (cursor === '0' && entries.length === 0) cursor = '>';
        for (const [id, fields] of entries) {
          const raw = fields[fields.indexOf('request') + 1];
          let req: FeedbackRequest | undefined;
          try {
            req = raw ? (JSON.parse(raw) as FeedbackRequest) : undefined;
          } catch {
            req = undefined;
          }
          if (req) await apply(req);
          await conn.xack(keys.dataPlaneFeedback, GROUP, id);
        }
      } catch (err) {
        if (!running) break;
        onError(err);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop.catch(() => {});
      conn.disconnect();
    },
  };
}
