/**
 * A standalone ingress for the bench: `services/ingress/src/main.ts` as its own OS process (a
 * primary and `workers` workers sharing one port, or one process with workers = 1), on the
 * platform's prefix, so the ingress has its own cores' worth of event loops instead of sharing
 * the bench process with the load generator. CPU is read from /proc for the process and its
 * children; /metrics answers for every worker together.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/process.ts';

export interface IngressProcess {
  url: string;
  pid: number;
  workers: number;
  /** CPU seconds used so far by the ingress process and its workers. */
  cpuSeconds(): number;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

const TICKS = 100; // USER_HZ on Linux

function stat(pid: number): { ppid: number; cpu: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICKS };
  } catch {
    return undefined;
  }
}

function treeCpu(root: number): number {
  let total = stat(root)?.cpu ?? 0;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === root) continue;
    const s = stat(pid);
    if (s?.ppid === root) total += s.cpu;
  }
  return total;
}

export async function startIngressProcess(o: { env: Record<string, string>; workers: number; nodeArgs?: string[]; timeoutMs?: number }): Promise<IngressProcess> {
  const port = await freePort();
  const main = fileURLToPath(new URL('../../services/ingress/src/main.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [...(o.nodeArgs ?? []), main], {
    env: { PATH: process.env.PATH ?? '', ...o.env, ROOMCAST_INGRESS_WORKERS: String(o.workers), ROOMCAST_HOST: '127.0.0.1', ROOMCAST_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  // Ready when every worker answers /readyz: ask until `workers` distinct pids said so (the kernel picks the worker).
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ingress exited with ${child.exitCode}: ${err}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ingress not ready within the timeout: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid as number,
    workers: o.workers,
    cpuSeconds: () => treeCpu(child.pid as number),
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
