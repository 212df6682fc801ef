import {
  compareVersions,
  parseVersion,
  type ReleaseFeed,
  type RunnerRelease,
} from '../github/runner-releases.ts';

const DAY_MS = 24 * 3600_000;
/** GitHub stops queueing jobs to a runner this long after the release that followed it. */
export const QUEUEING_GRACE_DAYS = 30;
/** A newer runner out this long is worth a warning: a week to update before the rush. */
export const WARN_AFTER_DAYS = 7;

/** How a pool's runner version stands against actions/runner's releases. */
export type RunnerFreshness = {
  version: string;
  latest: string;
  /** The first release after `version`: its date starts GitHub's 30 days. */
  successor: RunnerRelease | undefined;
  /** When GitHub stops queueing jobs to `version` (successor + 30 days). */
  deadline: number | undefined;
  /** Whole days left until then; 0 once it has passed; undefined when current. */
  daysLeft: number | undefined;
  /** A newer runner has been out for more than 7 days. */
  outdated: boolean;
};

/**
 * Undefined when either side is unknown (no version label, no release read yet). The successor
 * is the oldest listed release newer than the pool's. GitHub's list (30 releases, a year or
 * more) reaches back to any version GitHub still registers; a source that serves only the
 * latest release (RUNNER_RELEASES_URL not ending in /releases/latest) makes the latest stand
 * in, and then a pool two releases behind is shown a later deadline than GitHub's.
 */
export function runnerFreshness(
  imageVersion: string | undefined,
  feed: ReleaseFeed,
  now: number,
): RunnerFreshness | undefined {
  const version = imageVersion === undefined ? undefined : parseVersion(imageVersion);
  const latest = feed.latest;
  if (!version || !latest) return undefined;
  const newer = feed.releases.filter((release) => compareVersions(release.version, version) > 0);
  if (compareVersions(latest.version, version) <= 0 || newer.length === 0)
    return {
      version,
      latest: latest.version,
      successor: undefined,
      deadline: undefined,
      daysLeft: undefined,
      outdated: false,
    };
  const successor = newer.reduce((oldest, release) =>
    release.publishedAt < oldest.publishedAt ? release : oldest,
  );
  const deadline = successor.publishedAt + QUEUEING_GRACE_DAYS * DAY_MS;
  return {
    version,
    latest: latest.version,
    successor,
    deadline,
    daysLeft: Math.max(0, Math.ceil((deadline - now) / DAY_MS)),
    outdated: now - successor.publishedAt > WARN_AFTER_DAYS * DAY_MS,
  };
}

/** The warning for /health and the status page, when there is one to give. */
export function freshnessWarning(
  poolId: string,
  f: RunnerFreshness | undefined,
): string | undefined {
  if (!f?.outdated || !f.successor) return undefined;
  const since = new Date(f.successor.publishedAt).toISOString().slice(0, 10);
  const head = `${poolId}: runner ${f.version} is behind actions/runner ${f.latest} (${f.successor.version} came out ${since})`;
  if (f.daysLeft === 0)
    return `${head}; GitHub no longer queues jobs to it: update the runner image`;
  return `${head}; GitHub stops queueing jobs to it in ${f.daysLeft} day(s): update the runner image`;
}
