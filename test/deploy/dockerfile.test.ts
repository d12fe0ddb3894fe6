// The Dockerfile cannot be built on machines without Docker, so this test checks it: hadolint
// (the Dockerfile linter) finds nothing, every stage starts from a pinned image, the runtime is
// the Node and pnpm the project pins (scripts/node.sh), dependencies come from the lockfile, the
// final stage runs as an unprivileged user, and its default command is a real service.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dockerInstructions, INSTALL_TIMEOUT_MS, installTool, ROOT, serviceOfCommand, toolchain } from '../support/deploy.ts';

const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerInstructions(text);
const nodeSh = readFileSync(join(ROOT, 'scripts', 'node.sh'), 'utf8');
const pinned = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(nodeSh)?.[1];

/** Stages in order: name, base image and the instructions that follow its FROM. */
const stages = instructions.reduce<Array<{ name: string | undefined; from: string; body: typeof instructions }>>((acc, ins) => {
  if (ins.keyword === 'FROM') {
    const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args.replace(/^--platform=\S+\s+/, ''));
    acc.push({ from: m?.[1] ?? '', name: m?.[2], body: [] });
  } else acc.at(-1)?.body.push(ins);
  return acc;
}, []);

const python = toolchain('python');

describe('Dockerfile', () => {
  describe.skipIf(!python.ok)(`hadolint${python.ok ? '' : ` (skipped: ${python.reason})`}`, () => {
    let bin: (name: string) => string;
    beforeAll(() => {
      bin = installTool('python');
    }, INSTALL_TIMEOUT_MS);

    it('finds nothing to report', () => {
      const r = spawnSync(bin('hadolint'), ['--no-color', 'Dockerfile'], { cwd: ROOT, encoding: 'utf8' });
      expect(r.error).toBeUndefined();
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
    });

    it('reports a stage run as root from an unpinned image (the check can fail)', () => {
      const r = spawnSync(bin('hadolint'), ['--no-color', '-'], { input: 'FROM node\nUSER root\nRUN cd /app && npm install\n', encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toContain('DL3006');
    });
  });

  it('has a build stage and a separate runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(new Set(stages.map((s) => s.name)).size).toBe(stages.length);
  });

  it('starts every stage from an earlier stage or an image pinned by an exact version tag', () => {
    const earlier = new Set<string>();
    for (const s of stages) {
      if (!earlier.has(s.from)) {
        expect(s.from, 'no build arguments in FROM: the pin must be readable here').not.toContain('$');
        const tag = /^[^@]+:([^/:@]+)$/.exec(s.from)?.[1] ?? '';
        expect(tag, `${s.from} needs a version tag`).toMatch(/^\d+\.\d+\.\d+/);
      }
      if (s.name) earlier.add(s.name);
    }
  });

  it('runs the Node LTS and pnpm that scripts/node.sh and package.json pin', () => {
    const node = pinned('NODE_VERSION');
    expect(node).toMatch(/^(2[2-9]|[3-9]\d)\.\d+\.\d+$/);
    expect(Number(node?.split('.')[0]) % 2, 'an LTS line is even').toBe(0);
    for (const s of stages.filter((s) => s.from.startsWith('node:'))) expect(s.from).toMatch(new RegExp(`^node:${node?.replaceAll('.', '\\.')}-`));
    const pnpm = pinned('PNPM_VERSION');
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager).toBe(`pnpm@${pnpm}`);
    expect(text).toContain(`pnpm@${pnpm}`);
  });

  it('installs from the lockfile only', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const installs = runs.flatMap((r) => r.split('&&').map((c) => c.trim())).filter((c) => /^pnpm (install|fetch)\b/.test(c));
    expect(installs.length).toBeGreaterThan(0);
    for (const c of installs) expect(c, c).toContain('--frozen-lockfile');
  });

  it('generates the Prisma client without downloading an engine', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /PRISMA_SCHEMA_ENGINE_BINARY=\S+ .*prisma\/build\/index\.js generate$/.test(r))).toBe(true);
  });

  it('runs the final stage as a numeric non-root user', () => {
    const users = (stages.at(-1)?.body ?? []).filter((i) => i.keyword === 'USER');
    const user = users.at(-1)?.args ?? '';
    expect(user, 'the final stage sets no USER').not.toBe('');
    const [uid] = user.split(':');
    expect(uid, 'numeric, so Kubernetes can verify runAsNonRoot').toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
  });

  it('starts a real service by default, listening beyond loopback', () => {
    const cmd = (stages.at(-1)?.body ?? []).filter((i) => i.keyword === 'CMD').at(-1)?.args ?? '';
    expect(serviceOfCommand(JSON.parse(cmd) as string[])).toBe('all');
    expect(text).toMatch(/ROOMCAST_HOST=0\.0\.0\.0/);
  });

  it('keeps dependencies, local data and secrets out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['**/node_modules', '.local', '.tools', '.env', '.git']) expect(ignored).toContain(p);
  });
});
