import type { Logger } from 'pino';

/** How long a shutdown waits for spawns and a resync under way before it abandons them. */
export const SHUTDOWN_GRACE_MS = 6_000;
const AFTER_ABORT_MS = 500;

export type ShutdownDeps = {
  /** Everything that stops (loops, sessions, timers); awaited together. */
  stopping: () => Promise<unknown>[];
  /** Spawns registering or starting right now. */
  spawnsInFlight: () => number;
  /** Aborts the GitHub requests under way; returns how many. */
  abortRequests: () => number;
  log: Logger;
};

/**
 * Stops every part, waiting up to `graceMs` for the work under way; then GitHub (or the engine)
 * does not answer: what is under way is abandoned, requests aborted, and said so once.
 */
export async function shutDown(deps: ShutdownDeps, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  const stopped = Promise.all(deps.stopping()).then(() => true);
  if (await within(stopped, graceMs)) return;
  const spawns = deps.spawnsInFlight();
  const requests = deps.abortRequests();
  deps.log.warn(
    { spawnsLeft: spawns, githubRequestsAborted: requests, waitedMs: graceMs },
    'shutdown: work under way abandoned',
  );
  await within(stopped, AFTER_ABORT_MS);
}

/** Whether `work` settled within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
