import type { RegisteredRunner } from '../domain/registrar.ts';
import { isRunnerName } from './runner-name.ts';

/**
 * Registrations this controller made (isRunnerName: hand-made runners that share the prefix are
 * left alone) that are offline and have no container: left behind by a crash or a failed start.
 * A candidate must be seen twice in a row, so a runner registered between a container listing
 * and a runner listing is never taken for one.
 */
export function staleRunners(
  registered: readonly RegisteredRunner[],
  prefixes: readonly string[],
  hasContainer: (name: string) => boolean,
  seenBefore: ReadonlySet<string>,
): { stale: RegisteredRunner[]; candidates: Set<string> } {
  const candidates = new Set<string>();
  const stale: RegisteredRunner[] = [];
  for (const runner of registered) {
    if (
      !prefixes.some((prefix) => isRunnerName(runner.name, prefix)) ||
      runner.status !== 'offline' ||
      runner.busy
    )
      continue;
    if (hasContainer(runner.name)) continue;
    candidates.add(runner.name);
    if (seenBefore.has(runner.name)) stale.push(runner);
  }
  return { stale, candidates };
}
