/**
 * Helpers of the deployment-file tests (test/deploy, test/infra): the validators installed by
 * scripts/deploy-tools.sh, the real setting names, the service entry points and a small
 * Dockerfile reader.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOOLS = join(ROOT, '.local', 'tools');

/**
 * Whether the interpreter or compiler a validator group needs is on this machine: `python`
 * (kubernetes-validate, hadolint) needs python3, `compose` (the compose-spec loader) needs go.
 * Cheap, so tests can decide at collection time to skip, naming the reason.
 */
export function toolchain(kind: 'python' | 'compose'): { ok: true } | { ok: false; reason: string } {
  const needs = kind === 'python' ? 'python3' : 'go';
  if (spawnSync(needs, [needs === 'go' ? 'version' : '--version'], { stdio: 'ignore' }).error) return { ok: false, reason: `${needs} is not installed, so the ${kind} validators cannot be installed` };
  return { ok: true };
}

/** Seconds the first install may take (the compose loader is built from its Go module). */
export const INSTALL_TIMEOUT_MS = 900_000;

/**
 * Installs a validator group (once, pinned: scripts/deploy-tools.sh) and answers the path of one
 * of its programs. Any install failure throws, so a test never passes unchecked.
 */
export function installTool(kind: 'python' | 'compose'): (name: string) => string {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'deploy-tools.sh'), kind], { encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`scripts/deploy-tools.sh ${kind} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return (name) => (kind === 'python' ? join(TOOLS, 'venv', 'bin', name) : join(TOOLS, 'bin', name));
}

/** Every setting name the platform reads, from the generated .env.example (set or commented out). */
export function settingNames(): Set<string> {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  return new Set([...text.matchAll(/^(?:# )?(ROOMCAST_[A-Z0-9_]+)=/gm)].map((m) => m[1] as string));
}

/** The entry point of every service: services/<name>/src/main.ts, relative to the repository. */
export function serviceMains(): string[] {
  return readdirSync(join(ROOT, 'services'))
    .map((name) => `services/${name}/src/main.ts`)
    .filter((p) => existsSync(join(ROOT, p)));
}

/** The service a container command starts (`node services/<name>/src/main.ts`), checked to exist. */
export function serviceOfCommand(command: string[] | string | undefined): string | undefined {
  const args = typeof command === 'string' ? command.split(/\s+/) : (command ?? []);
  if (args[0] !== 'node' || args.length !== 2) return undefined;
  const m = /^services\/([a-z-]+)\/src\/main\.ts$/.exec(args[1] ?? '');
  return m && existsSync(join(ROOT, args[1] as string)) ? m[1] : undefined;
}

export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comments and parser directives left out. */
export function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let current = lines[i] ?? '';
    if (/^\s*(#|$)/.test(current)) continue;
    while (/\\\s*$/.test(current) && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? '';
      if (/^\s*#/.test(next)) continue;
      current = `${current.replace(/\\\s*$/, '')} ${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(current);
    if (!m) throw new Error(`Dockerfile line ${start + 1} is not an instruction: ${current}`);
    out.push({ line: start + 1, keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() });
  }
  return out;
}
