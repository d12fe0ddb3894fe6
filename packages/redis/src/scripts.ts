/**
 * Lua scripts run by SHA (EVALSHA), loaded on first use or after a Redis restart (NOSCRIPT),
 * so the script text crosses the wire once per connection life, not per call.
 */
import { createHash } from 'node:crypto';

/** The part of an ioredis client a script needs; tests pass a fake that fails. */
export interface ScriptClient {
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

export interface LuaScript {
  run(redis: ScriptClient, keys: string[], args: Array<string | number>): Promise<unknown>;
}

export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(redis, keys, args) {
      const all = [...keys, ...args.map(String)];
      try {
        return await redis.evalsha(sha, keys.length, ...all);
      } catch (err) {
        if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
        return redis.eval(source, keys.length, ...all);
      }
    },
  };
}
