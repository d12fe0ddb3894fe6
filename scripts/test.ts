/**
 * `npm test`: brings the local infrastructure up (installing what is missing), then runs the
 * typecheck, the linter, and every vitest project (unit, then integration against the real
 * Kafka, registry, PostgreSQL and Redis). Every step runs even when an earlier one failed, so
 * one run shows all problems; the exit code is non-zero if any step failed.
 *
 * Vitest's JSON report is written to .local/reports/vitest.json (read by .ci/run).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { infraUp } from './infra/index.ts';

const root = join(import.meta.dirname, '..');
const reports = join(root, '.local', 'reports');

function run(name: string, cmd: string, args: string[]): Promise<{ name: string; ok: boolean; seconds: number }> {
  const started = performance.now();
  console.log(`\n▶ ${name}: ${cmd} ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit' });
    child.on('exit', (code) => resolve({ name, ok: code === 0, seconds: (performance.now() - started) / 1000 }));
  });
}

const t0 = performance.now();
console.log('▶ infrastructure');
await infraUp({ components: ['postgres', 'redis', 'kafka', 'registry', 'prometheus'] });
mkdirSync(reports, { recursive: true });
const extra = process.argv.slice(2);
const steps = [
  await run('typecheck', 'tsc', ['-p', 'tsconfig.json']),
  await run('lint', 'biome', ['check', '--error-on-warnings', '.']),
  await run('tests', 'vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(reports, 'vitest.json')}`, ...extra]),
];
console.log('\nsummary');
for (const s of steps) console.log(`  ${s.ok ? 'ok    ' : 'FAILED'} ${s.name.padEnd(10)} ${s.seconds.toFixed(1)} s`);
console.log(`  total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(steps.every((s) => s.ok) ? 0 : 1);
