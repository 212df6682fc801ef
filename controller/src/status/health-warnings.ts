import type { PoolConfig } from '../config/config-types.ts';
import { neededRuntimes } from '../domain/placement.ts';
import { describeLack, runtimeLacks } from '../domain/runtime-refusals.ts';
import type { PoolHealth } from '../reconcile/pool-health.ts';
import type { GitHubHealth } from '../resync/repo-resync.ts';
import type { ImageState } from '../runners/image-keeper.ts';
import type { EngineStatus } from '../runners/runtime.ts';
import type { ScaleSetHealth } from '../scaleset/scale-set-source.ts';
import type { HookHealth } from '../webhook/hook-manager.ts';
import type { CredentialHealth } from './health-types.ts';
import { freshnessWarning, type RunnerFreshness } from './runner-freshness.ts';

/** What /health and the status page say is wrong, one sentence each, in the order found. */

export function engineWarnings(
  engineError: string | undefined,
  engines: readonly EngineStatus[],
): string[] {
  return [
    ...(engineError ? [`Docker: ${engineError}`] : []),
    ...engines.flatMap((engine) =>
      engine.up ? [] : [`engine ${engine.id} unreachable: ${engine.error ?? 'no answer'}`],
    ),
  ];
}

/** A resync round much longer than the interval, and a credential waiting out a rate limit. */
export function credentialWarnings(
  credential: CredentialHealth,
  intervalSeconds: number,
): string[] {
  const round = credential.resyncRoundSeconds;
  return [
    ...(round !== null && round > intervalSeconds * 1.5
      ? [
          `credential ${credential.name}: a resync round over its ${credential.repositories} repositories takes ${Math.round(round)} s (interval ${intervalSeconds} s) within ${credential.resyncBudgetPerMinute} requests a minute`,
        ]
      : []),
    ...(credential.pausedForSeconds > 0
      ? [
          `credential ${credential.name}: GitHub asked to wait (rate limit), ${credential.pausedForSeconds} s left`,
        ]
      : []),
  ];
}

export function repositoryWarnings(
  repoId: string,
  github: GitHubHealth | undefined,
  hook: HookHealth | undefined,
): string[] {
  const warnings: string[] = [];
  if (github && !github.reachable) warnings.push(`${repoId}: GitHub unreachable`);
  else if (github?.lastError) warnings.push(`${repoId}: ${github.lastError}`);
  if (hook?.error) warnings.push(`${repoId}: webhook registration failed: ${hook.error}`);
  return warnings;
}

export type PoolFacts = {
  refused: boolean;
  engines: readonly EngineStatus[];
  health: PoolHealth | undefined;
  image: ImageState | undefined;
  scaleSet: ScaleSetHealth | undefined;
  freshness: RunnerFreshness | undefined;
};

export function poolWarnings(pool: PoolConfig, facts: PoolFacts): string[] {
  const { health, image, scaleSet } = facts;
  const warnings: string[] = [];
  if (facts.refused) {
    const offered = facts.engines.map((e) => `${e.id}: ${e.platforms.join(', ') || 'unknown'}`);
    warnings.push(
      `${pool.id}: no engine can run it (${pool.platform ?? 'native'}${labelText(pool.engineLabels)}${runtimeText(pool)}; engines: ${offered.join('; ')})`,
    );
  }
  for (const lack of runtimeLacks([pool], facts.engines)) warnings.push(describeLack(lack));
  if (health?.imageOutdated)
    warnings.push(`${pool.id}: runner image is outdated; update the runner image`);
  else if (health?.lastError)
    warnings.push(`${pool.id}: runners fail to start: ${health.lastError}`);
  if (health && health.givenUpJobs > 0)
    warnings.push(`${pool.id}: ${health.givenUpJobs} job(s) given up`);
  if (image?.pullError) warnings.push(`${pool.id}: runner image pull failed: ${image.pullError}`);
  if (image?.sharesFolders === false && pool.dockerMode !== 'none')
    warnings.push(
      `${pool.id}: runner image of an earlier version: container jobs, Docker actions and docker run -v of the workspace get empty folders; update the runner image`,
    );
  if (scaleSet && scaleSet.state !== 'listening')
    warnings.push(
      `${pool.id}: scale set ${scaleSet.scaleSetName} ${scaleSet.state}${scaleSet.lastError ? `: ${scaleSet.lastError}` : ''}`,
    );
  const stale = freshnessWarning(pool.id, facts.freshness);
  if (stale) warnings.push(stale);
  return warnings;
}

function runtimeText(pool: PoolConfig): string {
  const runtimes = neededRuntimes(pool);
  return runtimes.length === 0 ? '' : ` with runtime ${runtimes.join(', ')}`;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? '' : ` on engines labelled ${pairs.join(', ')}`;
}
