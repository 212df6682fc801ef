import { neededRuntimes, type Placement } from '../domain/placement.ts';
import { formatDuration } from '../shared/format-duration.ts';
import type { WaitReason } from './wait-types.ts';

const ago = (at: number, now: number) => formatDuration(Math.max(0, now - at) / 1000);

/** "next try in 8.0 s", or "trying again now" once it is due. */
function nextTry(retryAt: number | undefined, now: number, what = 'next try'): string {
  return retryAt === undefined || retryAt <= now
    ? 'trying again now'
    : `${what} in ${formatDuration((retryAt - now) / 1000)}`;
}

/** What GitHub's answer to a registration means, by its status. */
export function registrationMeaning(status: number | undefined): string {
  if (status === undefined) return 'GitHub did not answer';
  if (status === 401) return 'the token or App key is wrong, expired or revoked';
  if (status === 403) return 'the credential lacks a permission, or GitHub asks to slow down';
  if (status === 404)
    return 'the repository, organization or scale set does not exist, or the credential cannot see it';
  if (status === 409) return 'a runner of that name is registered already';
  if (status === 400 || status === 422)
    return 'GitHub rejects the registration: a label or the runner group is not valid';
  if (status === 429) return 'GitHub asks to slow down (rate limit)';
  if (status >= 500) return 'GitHub failed to answer; this usually passes';
  return 'GitHub refused it';
}

function needsText(needs: Placement): string {
  const labels = Object.entries(needs.engineLabels).map(([key, value]) => `${key}=${value}`);
  const runtimes = neededRuntimes(needs);
  return [
    needs.platform ?? 'its native platform',
    ...(labels.length > 0 ? [`engine labels ${labels.join(', ')}`] : []),
    ...(runtimes.length > 0 ? [`runtime ${runtimes.join(', ')}`] : []),
  ].join(', ');
}

/**
 * The sentence /health, the status page and the log give for a reason, read at `now` (so that
 * "for 3 min" and "next try in 8 s" are true when read, not when the pass ran).
 */
export function waitDetail(why: WaitReason, now: number): string {
  switch (why.reason) {
    case 'source-down': {
      const { outage } = why;
      const since = outage.since === undefined ? '' : ` for ${ago(outage.since, now)}`;
      const error = outage.error ? ` (${outage.error})` : '';
      return `${outage.what}${since}${error}; ${nextTry(outage.retryAt, now)}. Until it is back the controller hears of no job of this pool, nor of their starts`;
    }
    case 'no-engine-fits': {
      const engines = why.engines.map(
        (e) => `${e.id}: ${e.platforms.join(', ') || 'platforms unknown'}`,
      );
      return `no engine can run this pool: it needs ${needsText(why.needs)}; engines: ${engines.join('; ') || 'none'}`;
    }
    case 'runner-started':
      if (why.runner === undefined) return `a runner is being started for it on ${why.engine}`;
      return why.phase === 'starting'
        ? `runner ${why.runner} is starting on ${why.engine}, for ${ago(why.since, now)}`
        : `runner ${why.runner} is up on ${why.engine} and has waited ${ago(why.since, now)} for GitHub to hand it the job`;
    case 'engine-down': {
      const engines = why.engines.map(
        (e) =>
          `${e.id}${e.since === undefined ? '' : ` for ${ago(e.since, now)}`}${e.error ? ` (${e.error})` : ''}`,
      );
      const there =
        why.runnersThere > 0
          ? `; its ${why.runnersThere} runner(s) there count against the pool's cap until it answers`
          : '';
      return `the engine it needs does not answer: ${engines.join('; ')}${there}`;
    }
    case 'registration-failed': {
      const answer = why.status === undefined ? 'no answer' : `answered ${why.status}`;
      return `GitHub refuses to register a runner (${answer}: ${registrationMeaning(why.status)}): ${why.error}; ${nextTry(why.retryAt, now)}`;
    }
    case 'image-pull-failed':
      return `the runner image cannot be pulled: ${why.error}; ${nextTry(why.retryAt, now)}`;
    case 'start-failed':
      return `the runner container did not start: ${why.error}; ${nextTry(why.retryAt, now)}`;
    case 'runner-failed':
      return why.outdated
        ? `runner ${why.runner} exited with code 7: GitHub no longer accepts its runner version; update the runner image; ${nextTry(why.retryAt, now)}`
        : `runner ${why.runner} exited with code ${why.exitCode ?? 'unknown'} before taking a job; ${nextTry(why.retryAt, now, 'next runner')}`;
    case 'pool-cap': {
      const total = Object.values(why.phases).reduce((sum, n) => sum + n, 0);
      const phases = Object.entries(why.phases).map(([phase, n]) => `${n} ${phase}`);
      return `the pool is at its cap: ${total} of ${why.max} runners (${phases.join(', ')})`;
    }
    case 'global-cap':
      return `MAX_RUNNERS is reached: ${why.inUse} of ${why.max} runner containers in use`;
    case 'no-engine-room': {
      const engines = why.engines.map((e) => `${e.id} ${e.used} of ${e.capacity}`);
      return `no engine that can run this pool has room: ${engines.join('; ')}`;
    }
    case 'pending':
      return why.counted === undefined
        ? 'a runner is started for it at the next pass'
        : `its job source counts ${why.counted} waiting job(s), fewer than are booked; runners are started for those`;
    case 'no-pool': {
      const pools = why.pools.map((pool) => `${pool.id}: ${pool.labels.join(', ')}`);
      return `no pool has all its labels (${why.labels.join(', ')}); pools: ${pools.join('; ')}`;
    }
  }
}
