/**
 * `npm run bench`: runs every benchmark (about 17 minutes; 5 to 11 need a Docker engine) and writes
 * BENCHMARKS.md. `npm run bench -- scale-set` runs only the benchmarks whose name contains the
 * words given, prints their figures and leaves BENCHMARKS.md alone.
 */
import { writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';
import { fileURLToPath } from 'node:url';
import { benchApiCost } from './api-cost.ts';
import { benchBuildCache } from './build-cache.ts';
import { benchBurst } from './burst.ts';
import { benchDockerReady } from './docker-ready.ts';
import { benchIntake } from './intake.ts';
import { benchManyRepos } from './many-repos.ts';
import { benchScaleSetBurst } from './scaleset-burst.ts';
import { benchScaleSetRecovery } from './scaleset-recovery.ts';
import { benchMemory } from './memory.ts';
import { benchPlanner } from './planner.ts';
import { renderReport } from './report.ts';
import { ratio, type BenchResult } from './result.ts';
import { benchSignature } from './signature.ts';
import { benchSpawn } from './spawn.ts';
import { elapsedMs, nowNs } from './stats.ts';

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const startedAt = new Date();
  const start = nowNs();
  const steps: [string, () => BenchResult | Promise<BenchResult>][] = [
    ['signature verification', benchSignature],
    ['planner', benchPlanner],
    ['memory', benchMemory],
    ['webhook intake over HTTP', () => benchIntake(log)],
    ['runner start (Docker engine)', benchSpawn],
    ['build cache of a dind pool (Docker engine)', benchBuildCache],
    ['burst drain (Docker engine)', () => benchBurst(log)],
    // The bursts above, counted at the fake GitHub (measured once).
    ['API cost', () => benchApiCost(log)],
    ['many repositories, compiled build (Docker engine)', () => benchManyRepos(log)],
    ['scale-set burst (Docker engine)', () => benchScaleSetBurst(log)],
    ['scale-set recovery (Docker engine)', () => benchScaleSetRecovery(log)],
    ["a job's first Docker command, dind (Docker engine)", benchDockerReady],
  ];
  const only = process.argv.slice(2).join(' ');
  const chosen = only === '' ? steps : steps.filter(([name]) => name.includes(only));
  if (chosen.length === 0) throw new Error(`no benchmark named like "${only}"`);
  const results: BenchResult[] = [];
  for (const [name, step] of chosen) {
    const stepStart = nowNs();
    log(`${name}…`);
    const result = await step();
    results.push(result);
    for (const row of result.rows) {
      log(
        `  ${row.measure}: ${row.value.toFixed(3)} vs ${row.baseline.toFixed(3)} ${row.unit} ` +
          `(${ratio(row).toFixed(2)}×)`,
      );
    }
    log(`  (${(elapsedMs(stepStart) / 1000).toFixed(1)} s)`);
  }
  const seconds = elapsedMs(start) / 1000;
  if (only !== '') {
    log(
      `ran ${chosen.length} of ${steps.length} in ${seconds.toFixed(0)} s; BENCHMARKS.md left alone`,
    );
    return;
  }
  // Cheap in-process benchmarks run first; the report lists them in their numbered order.
  const ordered = [...results].sort((a, b) =>
    a.title.localeCompare(b.title, 'en', { numeric: true }),
  );
  // Formatted as the repository's format check (`npm run lint`) wants it.
  const markdown = await format(renderReport(ordered, startedAt, seconds), {
    ...(await resolveConfig(OUTPUT)),
    filepath: OUTPUT,
  });
  await writeFile(OUTPUT, markdown);
  log(`wrote ${OUTPUT} in ${seconds.toFixed(0)} s`);
}

await main();
