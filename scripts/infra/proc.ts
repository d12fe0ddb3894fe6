// Process management for locally started servers.
//
// Every server is spawned detached with its output in a log file, so it outlives the CLI,
// and its pid goes into a pid file. We only ever signal pids from our own pid files, and
// only when /proc shows the pid still runs our command (pids get reused after a crash).
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export type RunResult = { stdout: string; stderr: string };

export type RunOptions = { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number; timeoutMs?: number };

/** Runs a command to completion; rejects with its stderr when it fails. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      cmd,
      args,
      { ...opts, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const detail = String(stderr || stdout || '').trim().split('\n').slice(-15).join('\n');
          reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}${detail ? `\n${detail}` : ''}`));
        } else resolvePromise({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** True when `cmd` resolves on PATH (or is an existing absolute path). */
export async function hasCommand(cmd: string): Promise<boolean> {
  if (cmd.startsWith('/')) return existsSync(cmd);
  return run('sh', ['-c', `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );
}

export type SpawnOptions = RunOptions & { logFile: string; pidFile: string };

/** Starts a long-running server detached from this process; returns its pid. */
export function spawnDetached(cmd: string, args: string[], opts: SpawnOptions): number {
  const out = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      uid: opts.uid,
      gid: opts.gid,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    child.unref();
    writeFileSync(opts.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0) but will never serve again.
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The pid in `pidFile` when it is alive and its command line contains `marker`. */
export function ownedPid(pidFile: string, marker: string | string[]): number | undefined {
  const pid = readPid(pidFile);
  if (pid === undefined || !isAlive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return [marker].flat().some((m) => cmdline.includes(m)) ? pid : undefined;
  } catch {
    return pid; // no /proc: trust the pid file
  }
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

/** Signals a pid we own, waits for it to exit, and escalates to SIGKILL after `timeoutMs`. */
export async function stopPid(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, signal);
  } catch {
    return 'stopped';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited between the last check and the kill
  }
  while (isAlive(pid)) await sleep(50);
  return 'killed';
}
