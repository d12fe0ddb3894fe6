/**
 * Formatting of the bench output: the machine it ran on and one table of all scenarios.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import type { LoopResult } from './loop.ts';

export function machine(): string[] {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) model = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return [`cpus: ${availableParallelism()} (nproc)`, `cpu model: ${model}`, `node: ${process.version}`, `date: ${new Date().toISOString()}`];
}

export interface Row {
  scenario: string;
  result: LoopResult;
  /** Name and value of the ratio to this row's baseline, when it has one. */
  ratio?: { label: string; value: number };
  /** Further ratios of the same row (to other baselines). */
  more?: Array<{ label: string; value: number }>;
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '-');

export function table(rows: Row[]): string {
  const head = ['scenario', 'conc', 'ops/s', 'p50 ms', 'p99 ms', 'ops', 'errors', 'cpu %', 'ratio'];
  const body = rows.map((r) => [
    r.scenario,
    String(r.result.concurrency),
    r.result.perSecond.toFixed(0),
    ms(r.result.p50Ms),
    ms(r.result.p99Ms),
    String(r.result.ops),
    String(r.result.errors),
    r.result.cpuPct.toFixed(0),
    [r.ratio, ...(r.more ?? [])].flatMap((x) => (x ? [`${x.label} ${(x.value * 100).toFixed(1)} %`] : [])).join(' · '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** A Markdown table of ready-made cells (columns padded to their widest cell). */
export function grid(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
