/**
 * `npm test`: brings the local infrastructure up (installing what is missing), installs the
 * deployment files' validators, then runs the typecheck, the linter, and every vitest project (unit, then integration against the real
 * Kafka, registry, PostgreSQL and Redis). Every step runs even when an earlier one failed, so
 * one run shows all problems; the exit code is non-zero if any step failed.
 *
 * Vitest's JSON report is written to .local/reports/vitest.json (read by .ci/run).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
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
  // The deployment files' validators (test/deploy), installed once and pinned; before the tests,
  // so their one-time build does not compete with the tests for the CPU.
  await run('validators', 'bash', ['scripts/deploy-tools.sh', 'python', 'compose']),
  await run('typecheck', 'tsc', ['-p', 'tsconfig.json']),
  await run('lint', 'biome', ['check', '--error-on-warnings', '.']),
  await run('tests', 'vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(reports, 'vitest.json')}`, ...extra]),
];
console.log('\nsummary');
for (const s of steps) console.log(`  ${s.ok ? 'ok    ' : 'FAILED'} ${s.name.padEnd(10)} ${s.seconds.toFixed(1)} s`);
console.log(`  total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
printFailures(join(reports, 'vitest.json'));
process.exit(steps.every((s) => s.ok) ? 0 : 1);

/**
 * Repeats each failure from the JSON report in a few plain lines (file, test, the first lines
 * of the message) so the end of a long log says what failed without scrolling back.
 */
function printFailures(reportPath: string): void {
  if (!existsSync(reportPath)) return;
  type Assertion = { status: string; fullName: string; failureMessages?: string[] };
  type FileResult = { name: string; status: string; message?: string; assertionResults: Assertion[] };
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { testResults: FileResult[] };
  const plain = (text: string) => stripVTControlCharacters(text).split('\n').filter((l) => l.trim() && !l.includes('node_modules')).slice(0, 4).map((l) => `      ${l.replaceAll(`${root}/`, '').slice(0, 300)}`);
  const lines: string[] = [];
  for (const file of report.testResults) {
    const name = file.name.startsWith(root) ? file.name.slice(root.length + 1) : file.name;
    if (file.status === 'failed' && file.message) lines.push(`  ${name} (outside a test)`, ...plain(file.message));
    for (const a of file.assertionResults.filter((x) => x.status === 'failed')) lines.push(`  ${name} > ${a.fullName}`, ...plain((a.failureMessages ?? []).join('\n')));
  }
  if (lines.length > 0) console.log(`\nfailures\n${lines.join('\n')}`);
}
