/**
 * What a process can tell about itself and its host, cheaply: host name, OS, CPUs and load,
 * memory, the disk of its data directory, uptimes, open handles and versions. A sample is a
 * plain JSON object; the process registry carries the latest one in each heartbeat and the
 * control plane keeps a history of them (environmental monitoring).
 */
import { statfs } from 'node:fs/promises';
import os from 'node:os';

export interface EnvironmentSample {
  sampledAt: string;
  host: { name: string; uptimeSeconds: number };
  os: { platform: string; release: string; arch: string };
  cpu: { count: number; loadAverage: [number, number, number] };
  memory: { totalBytes: number; freeBytes: number; rssBytes: number; heapUsedBytes: number; heapTotalBytes: number };
  /** The file system holding the data directory; null when it cannot be read. */
  disk: { path: string; totalBytes: number; freeBytes: number } | null;
  process: { pid: number; uptimeSeconds: number };
  /** Open sockets and other handles the event loop holds, by kind (process.getActiveResourcesInfo). */
  connections: { sockets: number; handles: number; http: number | null };
  versions: { node: string; roomcast: string };
  /** Versions of the shared dependencies, sampled by one kind of process (the control plane). */
  dependencies?: Record<string, unknown>;
}

export interface SampleOptions {
  roomcastVersion: string;
  dataDir: string;
  /** Open HTTP connections of the process's listeners, when it can count them. */
  httpConnections?: (() => Promise<number>) | undefined;
  dependencies?: (() => Promise<Record<string, unknown>>) | undefined;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function diskOf(path: string): Promise<EnvironmentSample['disk']> {
  try {
    const s = await statfs(path);
    return { path, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    return null;
  }
}

export async function sampleEnvironment(o: SampleOptions): Promise<EnvironmentSample> {
  const mem = process.memoryUsage();
  const resources = process.getActiveResourcesInfo();
  const [disk, http, dependencies] = await Promise.all([
    diskOf(o.dataDir),
    o.httpConnections ? o.httpConnections().catch(() => null) : Promise.resolve(null),
    o.dependencies ? o.dependencies().catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
  return {
    sampledAt: new Date().toISOString(),
    host: { name: os.hostname(), uptimeSeconds: Math.round(os.uptime()) },
    os: { platform: os.platform(), release: os.release(), arch: os.arch() },
    cpu: { count: os.availableParallelism(), loadAverage: [round(l1), round(l5), round(l15)] },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem(), rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal },
    disk,
    process: { pid: process.pid, uptimeSeconds: Math.round(process.uptime()) },
    connections: { sockets: resources.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWrap' || r === 'TLSWrap' || r === 'PipeWrap').length, handles: resources.length, http },
    versions: { node: process.versions.node, roomcast: o.roomcastVersion },
    ...(dependencies ? { dependencies } : {}),
  };
}
