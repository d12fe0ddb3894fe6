/**
 * The Lua side of a pull queue (queue-store.ts holds the Node side and the layout). Every script
 * gets one key, the subscription's key prefix, and builds the rest of its keys from it: they all
 * share the `{subscriptionId}` hash tag, so one subscription's queue lives in one slot.
 *
 * An entry is one Kafka record, named `<lane><partition>:<offset>` (lane `u` urgent, `n`
 * normal). Its states:
 *
 *   feed ──▶ ready ──lease──▶ leased ──ack──▶ (finished: tombstone until the offset is committed)
 *              ▲  ▲              │ └─nack(delay)──▶ delayed ──due──┘ (back to ready)
 *              │  └──expiry──────┘
 *   FIFO: entries behind their key's head wait in fifo:<key> and become ready when it finishes.
 *   ready ──TTL or delivery limit──▶ dead (claimed, produced to the dead-letter topic) ──▶ finished
 */

const PRELUDE = `
local P = KEYS[1]
local function k(name) return P .. name end
local function parse(entry)
  local colon = string.find(entry, ':', 3, true)
  return string.sub(entry, 1, 1), string.sub(entry, 2, colon - 1), string.sub(entry, colon + 1)
end
-- info: seq|publishedMs|eventId|fifoKey (the key may contain '|': it is last)
local function info(entry)
  local s = redis.call('HGET', k('info'), entry)
  if not s then return nil end
  local a = string.find(s, '|', 1, true)
  local b = string.find(s, '|', a + 1, true)
  local c = string.find(s, '|', b + 1, true)
  return tonumber(string.sub(s, 1, a - 1)), tonumber(string.sub(s, a + 1, b - 1)), string.sub(s, b + 1, c - 1), string.sub(s, c + 1)
end
local function make_ready(entry)
  local seq = info(entry)
  if seq then redis.call('ZADD', k('ready:' .. string.sub(entry, 1, 1)), seq, entry) end
end
-- Expired leases and due delays become ready again (in their original order). Returns the
-- expired leases as {eventId, deliveryCount, publishedMs} (for the message log) and how many
-- delays were due.
local function reclaim(now)
  local expired = redis.call('ZRANGEBYSCORE', k('leases'), '-inf', now, 'LIMIT', 0, 1000)
  local out = {}
  for _, e in ipairs(expired) do
    redis.call('ZREM', k('leases'), e)
    redis.call('HDEL', k('lease'), e)
    local _, published, id = info(e)
    if id then table.insert(out, {id, redis.call('HGET', k('dc'), e) or '0', tostring(published)}) end
    make_ready(e)
  end
  local due = redis.call('ZRANGEBYSCORE', k('delayed'), '-inf', now, 'LIMIT', 0, 1000)
  for _, e in ipairs(due) do
    redis.call('ZREM', k('delayed'), e)
    make_ready(e)
  end
  return out, #due
end
-- Removes an entry everywhere, leaves a tombstone for its offset (so a re-feed after a
-- rebalance skips it) and releases the next entry of its FIFO key. Returns 1 when one was released.
-- \`leased\`: the entry is known to be leased (an ack), so it is in no other state set.
local function finish(entry, leased)
  local seq, published, id, key = info(entry)
  if not seq then return 0 end
  local lane, part, off = parse(entry)
  redis.call('HDEL', k('data'), entry)
  redis.call('HDEL', k('info'), entry)
  redis.call('HDEL', k('dc'), entry)
  redis.call('HDEL', k('lease'), entry)
  redis.call('ZREM', k('leases'), entry)
  if not leased then
    redis.call('HDEL', k('deadwhy'), entry)
    redis.call('ZREM', k('ready:' .. lane), entry)
    redis.call('ZREM', k('delayed'), entry)
    redis.call('ZREM', k('dead'), entry)
  end
  redis.call('ZREM', k('age'), entry)
  if redis.call('HGET', k('ids'), id) == entry then redis.call('HDEL', k('ids'), id) end
  redis.call('ZREM', k('pending:' .. lane .. part), off)
  redis.call('ZADD', k('acked:' .. lane .. part), off, off)
  if key == '' then return 0 end
  if redis.call('HGET', k('heads'), key) == entry then
    local nxt = redis.call('LPOP', k('fifo:' .. key))
    if nxt then
      redis.call('HSET', k('heads'), key, nxt)
      make_ready(nxt)
      return 1
    end
    redis.call('HDEL', k('heads'), key)
  else
    redis.call('LREM', k('fifo:' .. key), 1, entry)
  end
  return 0
end
`;

/** ARGV: bufferMax, fifo (0|1), then per record: entry, publishedMs, eventId, key, blob. Returns {consumed, fed}. */
export const FEED = `${PRELUDE}
local max = tonumber(ARGV[1])
local fifo = ARGV[2] == '1'
local size = redis.call('HLEN', k('data'))
local consumed, fed = 0, 0
for i = 3, #ARGV, 5 do
  local entry = ARGV[i]
  local lane, part, off = parse(entry)
  if redis.call('HEXISTS', k('data'), entry) == 1 or redis.call('ZSCORE', k('acked:' .. lane .. part), off) then
    consumed = consumed + 1
  else
    if size >= max then break end
    local key = ''
    if fifo then key = ARGV[i + 3] end
    local seq = redis.call('INCR', k('seq'))
    redis.call('HSET', k('data'), entry, ARGV[i + 4])
    redis.call('HSET', k('info'), entry, seq .. '|' .. ARGV[i + 1] .. '|' .. ARGV[i + 2] .. '|' .. key)
    redis.call('HSET', k('ids'), ARGV[i + 2], entry)
    redis.call('ZADD', k('pending:' .. lane .. part), off, off)
    redis.call('ZADD', k('age'), ARGV[i + 1], entry)
    if key ~= '' and redis.call('HEXISTS', k('heads'), key) == 1 then
      redis.call('RPUSH', k('fifo:' .. key), entry)
    else
      if key ~= '' then redis.call('HSET', k('heads'), key, entry) end
      redis.call('ZADD', k('ready:' .. lane), seq, entry)
    end
    size = size + 1
    consumed = consumed + 1
    fed = fed + 1
  end
end
return {consumed, fed}`;

/**
 * ARGV: now, max, leaseMs, token, maxDeliveries, ttlMs (0: none), deadClaimMs.
 * Returns {expired, {entry, dc, blob}..., {entry, reason, blob}..., nextAt ('' or ms)}.
 * Urgent lane first; an entry past its TTL or delivery limit is claimed for dead-lettering instead.
 */
export const LEASE = `${PRELUDE}
local now, max, leaseMs, token = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local maxDeliveries, ttl, claim = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local expired = reclaim(now)
local out, dead = {}, {}
local scanned = 0
while #out < max and scanned < 1000 do
  local popped = redis.call('ZPOPMIN', k('ready:u'), max - #out)
  if #popped == 0 then popped = redis.call('ZPOPMIN', k('ready:n'), max - #out) end
  if #popped == 0 then break end
  for i = 1, #popped, 2 do
    local e = popped[i]
    scanned = scanned + 1
    local seq, published = info(e)
    if seq then
      local dc = tonumber(redis.call('HGET', k('dc'), e) or '0')
      local reason = nil
      if ttl > 0 and published + ttl <= now then reason = 'ttl_expired' elseif dc >= maxDeliveries then reason = 'delivery_limit' end
      if reason then
        redis.call('ZADD', k('dead'), now + claim, e)
        redis.call('HSET', k('deadwhy'), e, reason)
        table.insert(dead, {e, reason, redis.call('HGET', k('data'), e)})
      else
        dc = redis.call('HINCRBY', k('dc'), e, 1)
        redis.call('HSET', k('lease'), e, dc .. '.' .. token)
        redis.call('ZADD', k('leases'), now + leaseMs, e)
        table.insert(out, {e, tostring(dc), redis.call('HGET', k('data'), e)})
      end
    end
  end
end
local nextAt = ''
if #out == 0 then
  local a = redis.call('ZRANGE', k('leases'), 0, 0, 'WITHSCORES')
  local b = redis.call('ZRANGE', k('delayed'), 0, 0, 'WITHSCORES')
  local t = nil
  if #a > 0 then t = tonumber(a[2]) end
  if #b > 0 and (t == nil or tonumber(b[2]) < t) then t = tonumber(b[2]) end
  if t then nextAt = tostring(t) end
end
return {expired, out, dead, nextAt}`;

/**
 * ARGV: now, op (ack|nack|extend), param (nack: delayMs; extend: leaseMs), then per receipt:
 * entry, dc, token. Returns {{outcome, at, eventId, publishedMs}..., released, expired}: outcome
 * ok | expired | not_held; at: the new lease expiry (extend); eventId and publishedMs of a settled one.
 */
export const SETTLE = `${PRELUDE}
local now, op, param = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local expired = reclaim(now)
local results, released = {}, 0
for i = 4, #ARGV, 3 do
  local e, dc, tok = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local outcome, at, id, published = 'not_held', '', '', ''
  local cur = redis.call('HGET', k('lease'), e)
  if cur and cur == dc .. '.' .. tok then
    outcome = 'ok'
  elseif redis.call('HEXISTS', k('data'), e) == 1 and tonumber(dc) and tonumber(dc) <= tonumber(redis.call('HGET', k('dc'), e) or '0') then
    outcome = 'expired'
  end
  if outcome == 'ok' then
    local _, p, eid = info(e)
    id, published = eid or '', tostring(p or '')
    if op == 'ack' then
      released = released + finish(e, true)
    elseif op == 'nack' then
      redis.call('HDEL', k('lease'), e)
      redis.call('ZREM', k('leases'), e)
      if param > 0 then redis.call('ZADD', k('delayed'), now + param, e) else make_ready(e); released = released + 1 end
    else
      redis.call('ZADD', k('leases'), 'XX', now + param, e)
      at = tostring(now + param)
    end
  end
  table.insert(results, {outcome, at, id, published})
end
return {results, released, expired}`;

/** GovStack confirm by event id. ARGV: now, eventId. Returns {outcome, released, expired, deliveryCount, publishedMs}: ok | unknown | not_leased. */
export const CONFIRM = `${PRELUDE}
local now, id = tonumber(ARGV[1]), ARGV[2]
local expired = reclaim(now)
local e = redis.call('HGET', k('ids'), id)
if not e then return {'unknown', 0, expired} end
if not redis.call('HGET', k('lease'), e) then return {'not_leased', 0, expired} end
local dc = redis.call('HGET', k('dc'), e) or '1'
local _, published = info(e)
return {'ok', finish(e, true), expired, dc, tostring(published or '')}`;

/** ARGV: now. Returns {expired, promoted}: the expired leases (as reclaim gives them) and how many due delays became ready. */
export const SWEEP = `${PRELUDE}
local a, b = reclaim(tonumber(ARGV[1]))
return {a, b}`;

/** ARGV: now, claimMs, n. Claims up to n dead entries whose claim lapsed: {entry, reason, blob}... */
export const CLAIM_DEAD = `${PRELUDE}
local now, claim, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, e in ipairs(redis.call('ZRANGEBYSCORE', k('dead'), '-inf', now, 'LIMIT', 0, n)) do
  redis.call('ZADD', k('dead'), now + claim, e)
  table.insert(out, {e, redis.call('HGET', k('deadwhy'), e) or 'unknown', redis.call('HGET', k('data'), e)})
end
return out`;

/** ARGV: entries. Finishes each (dead-lettered entries). Returns how many FIFO successors became ready. */
export const FINISH = `${PRELUDE}
local released = 0
for _, e in ipairs(ARGV) do released = released + finish(e, false) end
return released`;

/**
 * ARGV: lane, partition, offset. Finishes every entry of the partition below the offset: Kafka
 * says they are done (another delivery mode committed past them while this buffer sat idle).
 */
export const PURGE_BELOW = `${PRELUDE}
local lane, part, off = ARGV[1], ARGV[2], tonumber(ARGV[3])
local n = 0
for _, o in ipairs(redis.call('ZRANGEBYSCORE', k('pending:' .. lane .. part), '-inf', '(' .. off)) do
  finish(lane .. part .. ':' .. o, false)
  n = n + 1
end
redis.call('ZREMRANGEBYSCORE', k('acked:' .. lane .. part), '-inf', '(' .. off)
return n`;
