/**
 * The push bench's sink: an HTTP server on 127.0.0.1 in a CHILD PROCESS (so it shares neither
 * the event loop nor the heap of the dispatcher being measured), answering every request 204 as
 * soon as its body has arrived. Per request path it counts requests and records the receipt
 * time (epoch ms, sub-millisecond: `performance.timeOrigin + performance.now()`) of each
 * `webhook-id`; a repeated id on one path is counted as a duplicate. Paths under `/baseline`
 * are only counted (the bare undici loop repeats one id). The first request on another path is
 * kept as a sample, so the baseline can send the same headers and a body of the same size.
 *
 * This file is both the parent's API (`startPushSink`) and the child's body (run with
 * `--push-sink-child`). The child exits when its parent goes away.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PathStats {
  count: number;
  /** Distinct webhook ids (equals count unless something was delivered twice). */
  unique: number;
  duplicates: number;
  /**
   * Deliveries whose `sequence` (body) is lower than one already received for the same key
   * (`ce-subject`): per-key order broken. Expected 0 for FIFO subscriptions; redeliveries count too.
   */
  reordered: number;
  /** Epoch ms of the first and last receipt. */
  first: number;
  last: number;
}

export interface SinkSample {
  path: string;
  headers: Record<string, string>;
  body: string;
}

type Command = { cmd: 'stats' } | { cmd: 'times'; path: string } | { cmd: 'sample' } | { cmd: 'holders'; id: string; prefix: string };

export interface PushSink {
  /** http://127.0.0.1:PORT (no trailing slash); push URLs add a path to it. */
  url: string;
  stats(): Promise<Record<string, PathStats>>;
  /** Receipt time (epoch ms) of every webhook id received on `path`. */
  times(path: string): Promise<Map<string, number>>;
  sample(): Promise<SinkSample | undefined>;
  /** How many paths starting with `prefix` have received webhook id `id`. */
  holders(id: string, prefix: string): Promise<number>;
  /** Polls until `done(stats)` holds; false when `timeoutMs` passed first. */
  waitFor(done: (stats: Record<string, PathStats>) => boolean, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Sums the stats of every path starting with `prefix`. */
export function sumPaths(stats: Record<string, PathStats>, prefix: string): PathStats {
  const out: PathStats = { count: 0, unique: 0, duplicates: 0, reordered: 0, first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
  for (const [path, s] of Object.entries(stats)) {
    if (!path.startsWith(prefix)) continue;
    out.count += s.count;
    out.unique += s.unique;
    out.duplicates += s.duplicates;
    out.reordered += s.reordered;
    out.first = Math.min(out.first, s.first);
    out.last = Math.max(out.last, s.last);
  }
  return out;
}

export async function startPushSink(): Promise<PushSink> {
  const child: ChildProcess = fork(new URL(import.meta.url), ['--push-sink-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (value: unknown) => void>();
  let seq = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`push sink exited early (${code})`)));
    child.on('message', (m: { ready?: number; seq?: number; value?: unknown }) => {
      if (m.ready !== undefined) resolve(m.ready);
      else if (m.seq !== undefined) {
        waiting.get(m.seq)?.(m.value);
        waiting.delete(m.seq);
      }
    });
  });
  child.removeAllListeners('exit');
  const ask = <T>(command: Command): Promise<T> =>
    new Promise<T>((resolve) => {
      const n = ++seq;
      waiting.set(n, resolve as (value: unknown) => void);
      child.send({ seq: n, ...command });
    });
  const stats = () => ask<Record<string, PathStats>>({ cmd: 'stats' });
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async times(path) {
      const [ids, at] = await ask<[string[], number[]]>({ cmd: 'times', path });
      return new Map(ids.map((id, i) => [id, at[i] ?? Number.NaN]));
    },
    sample: () => ask<SinkSample | undefined>({ cmd: 'sample' }),
    holders: (id, prefix) => ask<number>({ cmd: 'holders', id, prefix }),
    async waitFor(done, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (done(await stats())) return true;
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// ---- the child ----

interface PathState {
  count: number;
  duplicates: number;
  reordered: number;
  /** Highest sequence received per key. */
  keys: Map<string, number>;
  first: number;
  last: number;
  times: Map<string, number>;
}

const SEQUENCE = /"sequence":(\d+)/;

function runChild(): void {
  const paths = new Map<string, PathState>();
  let sample: SinkSample | undefined;
  const flat = (h: IncomingHttpHeaders): Record<string, string> =>
    Object.fromEntries(Object.entries(h).flatMap(([k, v]) => (v === undefined || ['host', 'connection', 'content-length'].includes(k) ? [] : [[k, String(v)]])));
  const server = createServer({ keepAlive: true, keepAliveTimeout: 60_000 }, (req, res) => {
    const at = performance.timeOrigin + performance.now();
    const path = req.url ?? '/';
    let p = paths.get(path);
    if (!p) {
      p = { count: 0, duplicates: 0, reordered: 0, keys: new Map(), first: at, last: at, times: new Map() };
      paths.set(path, p);
    }
    p.count++;
    p.last = at;
    const state = p;
    if (!path.startsWith('/baseline')) {
      const id = String(req.headers['webhook-id'] ?? '');
      if (p.times.has(id)) p.duplicates++;
      else p.times.set(id, at);
    }
    const keep = !path.startsWith('/baseline');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (keep) chunks.push(c);
    });
    req.on('end', () => {
      res.writeHead(204).end();
      if (!keep) return;
      const body = Buffer.concat(chunks).toString('utf8');
      sample ??= { path, headers: flat(req.headers), body };
      const key = req.headers['ce-subject'];
      const seq = Number(SEQUENCE.exec(body)?.[1]);
      if (typeof key === 'string' && Number.isFinite(seq)) {
        const prev = state.keys.get(key) ?? -1;
        if (seq < prev) state.reordered++;
        else state.keys.set(key, seq);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  const answer = (m: { seq: number } & Command): unknown => {
    switch (m.cmd) {
      case 'stats':
        return Object.fromEntries(
          [...paths].map(([path, p]) => [path, { count: p.count, unique: p.times.size, duplicates: p.duplicates, reordered: p.reordered, first: p.first, last: p.last } satisfies PathStats]),
        );
      case 'times': {
        const t = paths.get(m.path)?.times ?? new Map<string, number>();
        return [[...t.keys()], [...t.values()]];
      }
      case 'sample':
        return sample;
      case 'holders':
        return [...paths].filter(([path, p]) => path.startsWith(m.prefix) && p.times.has(m.id)).length;
    }
  };
  process.on('message', (m: { seq: number } & Command) => process.send?.({ seq: m.seq, value: answer(m) }));
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => process.send?.({ ready: (server.address() as AddressInfo).port }));
}

if (process.argv.includes('--push-sink-child')) runChild();
