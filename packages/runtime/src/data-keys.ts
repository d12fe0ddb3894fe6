/**
 * Room data keys in a data-plane process: a DataKeyRing holding the master keys from
 * configuration, warmed from every routing-contract generation (keys unwrapped once when the
 * generation arrives, so publishing and delivering cost one AES-GCM call each). Without a
 * master key the ring is undefined and classified events are refused, never sent in plain.
 */
import { DataKeyRing, type Logger, type MasterKey } from '@roomcast/core';
import type { RoutingFollower } from '@roomcast/routing';

export function followDataKeys(routing: RoutingFollower, masterKeys: readonly MasterKey[], logger: Logger): DataKeyRing | undefined {
  if (masterKeys.length === 0) return undefined;
  const ring = new DataKeyRing(masterKeys);
  const warm = () => {
    for (const f of ring.warm(routing.current().contract.rooms)) logger.error('room data key not unwrapped', f);
  };
  routing.onChange(warm);
  warm();
  return ring;
}
