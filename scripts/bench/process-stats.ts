/**
 * What the push bench reads about its own process while a fan-out runs: peak resident memory,
 * established connections to one port, and the push consumers the platform reports.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { metricValue } from '../../test/support/push.ts';

/**
 * Established TCP connections of this process to `port` on loopback (Linux: the process's socket
 * inodes matched in /proc/self/net/tcp*); NaN where /proc is not there.
 */
export function connectionsTo(port: number): number {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync('/proc/self/fd')) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSyncQuiet(`/proc/self/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    }
    let n = 0;
    for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        // local, remote (hex ip:port), state (01 = established), …, inode (10th column)
        if (cols.length >= 10 && cols[3] === '01' && Number.parseInt(cols[2]?.split(':')[1] ?? '', 16) === port && inodes.has(cols[9] ?? '')) n++;
      }
    }
    return n;
  } catch {
    return Number.NaN;
  }
}

function readlinkSyncQuiet(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** The highest resident set size of this process (the platform runs in it) while `fn` runs, in MiB. */
export async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 250);
  try {
    const value = await fn();
    return { value, peakMb: Math.max(peak, process.memoryUsage.rss()) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

/** Push consumers (one consumer-group member each) running in the platform, from its /metrics. */
export async function runningConsumers(platformUrl: string): Promise<number> {
  return (await metricValue(platformUrl, 'roomcast_delivery_subscriptions_running')) ?? Number.NaN;
}
