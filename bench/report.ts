/** Renders the benchmark results as BENCHMARKS.md. */
import { availableParallelism, cpus } from 'node:os';
import { ratio, type BenchResult, type Row } from './result.ts';

const COUNTS: ReadonlySet<Row['unit']> = new Set(['jobs', 'runners']);

function figure(value: number, unit: Row['unit']): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = COUNTS.has(unit) || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

const ratioText = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');

export function renderReport(results: BenchResult[], startedAt: Date, seconds: number): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const lines = [
    '# Benchmarks',
    '',
    'Produced by `npm run bench` (`bench/run.ts`); rerun it to refresh this file. The machine is',
    'shared and noisy, so every figure is a median of repeated runs and is set against a baseline',
    'measured in the same run: read the ratios, not the absolute figures.',
    '',
    `- date: ${startedAt.toISOString()}`,
    `- node: ${process.version} (${process.platform}/${process.arch})`,
    `- machine: ${availableParallelism()} cores, ${cpu}`,
    `- whole run: ${seconds.toFixed(0)} s`,
    '',
    '| benchmark | measure | result | baseline | ratio |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const result of results) {
    for (const row of result.rows) {
      lines.push(
        `| ${result.title} | ${row.measure} | ${figure(row.value, row.unit)} | ` +
          `${figure(row.baseline, row.unit)} | ${ratioText(ratio(row))} |`,
      );
    }
  }
  lines.push('', '## What this shows', '');
  for (const result of results) {
    lines.push(
      `### ${result.title}`,
      '',
      `- **Shows:** ${result.shows}`,
      `- **Baseline:** ${result.baseline}.`,
      `- **How:** ${result.method}`,
      '',
    );
  }
  return lines.join('\n');
}
