import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ImagePullFailed } from '../../controller/src/domain/runner-failures.ts';
import type { SourceOutage } from '../../controller/src/domain/source-outage.ts';
import type { WaitReasonName } from '../../controller/src/reconcile/wait-types.ts';
import {
  setUpReconciler,
  useReconcilerClock,
  type ReconcilerSetup,
  type ReconcilerSetupOptions,
} from '../support/fakes/reconciler-setup.ts';
import { readWaits, statusModel } from '../support/fakes/status-setup.ts';

// Issue 19: every reason a job can wait for, brought about on the real reconciler (fake runtime
// and registrar), read from /health (StatusModel -> healthReport) and from the metrics, and
// seen to change once its cause is gone.

const TWO_POOLS = (small: number) =>
  JSON.stringify({
    repositories: [
      {
        id: 'app',
        github_url: 'https://github.com/octo/app',
        github_token: 'token',
        pools: [
          { id: 'small', runner_labels: ['self-hosted', 'small'], max_runners: small },
          { id: 'large', runner_labels: ['self-hosted', 'large'], max_runners: 4 },
        ],
      },
    ],
  });
const SMALL = 'app/small';
const LARGE = 'app/large';

let s: ReconcilerSetup | undefined;
let outage: SourceOutage | undefined;
const setUp = (options: ReconcilerSetupOptions = {}) => {
  s = setUpReconciler({ sourceOutage: () => outage, ...options });
  return s;
};

beforeEach(() => useReconcilerClock());
afterEach(async () => {
  await s?.stop();
  [s, outage] = [undefined, undefined];
  vi.useRealTimers();
});

/**
 * /health's reason for the job, checked against the metrics of its pool (unless the pool's
 * source counts fewer waiting jobs than are booked: the metrics follow its count).
 */
async function reasonOf(w: ReconcilerSetup, jobId: number, counted = true) {
  const read = await readWaits(statusModel(w));
  const job = read.jobs.find((candidate) => candidate.jobId === jobId);
  if (job && counted) {
    const labels = { pool: job.pool ?? '', reason: job.reason };
    expect(read.metric('autoscaler_jobs_waiting', labels)).toBeGreaterThanOrEqual(1);
    const oldest = read.metric('autoscaler_job_wait_oldest_seconds', labels);
    expect(Math.round(oldest ?? -1)).toBeGreaterThanOrEqual(job.waitingSeconds);
  }
  // Per pool, the reasons add up to the count the planner reads (and /health has shown).
  for (const pool of w.config.pools) {
    const sum = read.samples
      .filter((x) => x.name === 'autoscaler_jobs_waiting' && x.labels.pool === pool.id)
      .reduce((total, x) => total + x.value, 0);
    expect(sum).toBe(w.waiting.count(pool.id));
  }
  return { job, read };
}

const pools = { env: { REPOS_CONFIG_FILE: '/repos.json' }, files: { '/repos.json': TWO_POOLS(1) } };

/** The runner of a pool that took a job, busy with it. */
async function busyRunner(w: ReconcilerSetup, jobId: number, pool?: string) {
  w.queue(jobId, pool);
  await w.pass();
  const runner = w.runtime.of(pool).at(-1);
  if (!runner) throw new Error('no runner started');
  w.take(jobId, runner.name, pool);
  await w.pass();
  return runner.name;
}

/** The job ends and its runner exits: room again. */
async function finish(w: ReconcilerSetup, jobId: number, runner: string, pool?: string) {
  w.complete(jobId, runner, pool);
  w.runtime.exit(runner, 0);
  await w.pass();
  await w.pass();
}

type Case = {
  reason: WaitReasonName;
  detail: RegExp;
  options?: ReconcilerSetupOptions;
  /** Brings job 2 (in `pool`) into the state. */
  cause: (w: ReconcilerSetup) => Promise<void>;
  /** Takes the cause away. */
  cure: (w: ReconcilerSetup) => Promise<void>;
  /** The reason job 2 has then, if it still waits. */
  then: WaitReasonName | 'not waiting';
  pool?: string;
  /** Job 2 is past its source's count: in /health, not in the metrics. */
  uncounted?: boolean;
};

const CASES: Record<string, Case> = {
  'the pool is at its cap (1 of 1 busy)': {
    reason: 'pool-cap',
    detail: /^the pool is at its cap: 1 of 1 runners \(1 busy\)$/,
    options: pools,
    pool: SMALL,
    cause: async (w) => {
      await busyRunner(w, 1, SMALL);
      w.queue(2, SMALL);
      await w.pass();
    },
    cure: (w) => finish(w, 1, w.runtime.of(SMALL)[0]?.name ?? '', SMALL),
    then: 'runner-started',
  },
  'MAX_RUNNERS is reached by another pool': {
    reason: 'global-cap',
    detail: /^MAX_RUNNERS is reached: 1 of 1 runner containers in use$/,
    options: { ...pools, env: { ...pools.env, MAX_RUNNERS: '1' } },
    pool: LARGE,
    cause: async (w) => {
      await busyRunner(w, 1, SMALL);
      w.queue(2, LARGE);
      await w.pass();
    },
    cure: (w) => finish(w, 1, w.runtime.of(SMALL)[0]?.name ?? '', SMALL),
    then: 'runner-started',
  },
  'no engine has room': {
    reason: 'no-engine-room',
    detail: /^no engine that can run this pool has room: local 1 of 1$/,
    options: { engines: [{ id: 'local', capacity: 1 }] },
    cause: async (w) => {
      await busyRunner(w, 1);
      w.queue(2);
      await w.pass();
    },
    cure: async (w) => {
      w.runtime.engine('local').capacity = 2;
      await w.pass();
    },
    then: 'runner-started',
  },
  'no engine has its platform': {
    reason: 'no-engine-fits',
    detail: /^no engine can run this pool: it needs linux\/arm64; engines: local: linux\/amd64$/,
    options: { env: { RUNNER_PLATFORM: 'linux/arm64' } },
    cause: async (w) => {
      w.queue(2);
      await w.pass();
    },
    cure: async (w) => {
      w.runtime.engine('local').platforms.push('linux/arm64');
      await w.pass();
    },
    then: 'runner-started',
  },
  'its engine does not answer': {
    reason: 'engine-down',
    detail:
      /^the engine it needs does not answer: local for 10 s \(docker engine local did not answer its listing\)$/,
    cause: async (w) => {
      w.runtime.engine('local').answers = false;
      await w.pass();
      await w.advance(10_000);
      w.queue(2);
      await w.pass();
    },
    cure: async (w) => {
      w.runtime.engine('local').answers = true;
      await w.pass();
    },
    then: 'runner-started',
  },
  'GitHub refuses the registration': {
    reason: 'registration-failed',
    detail:
      /^GitHub refuses to register a runner \(answered 403: the credential lacks a permission, or GitHub asks to slow down\): registering a runner: GitHub answered 403; next try in 1\.0 s$/,
    cause: async (w) => {
      const refusal = new Error('registering a runner: GitHub answered 403');
      w.registrar.refuseNext(Object.assign(refusal, { status: 403 }));
      w.queue(2);
      await w.pass();
    },
    cure: (w) => w.advance(1_000),
    then: 'runner-started',
  },
  'the runner image cannot be pulled': {
    reason: 'image-pull-failed',
    detail:
      /^the runner image cannot be pulled: pull access denied for ghcr\.io\/acme\/runner; next try in 1\.0 s$/,
    cause: async (w) => {
      const denied = new Error('pull access denied for ghcr.io/acme/runner');
      w.runtime.failNextStart(new ImagePullFailed('ghcr.io/acme/runner', denied));
      w.queue(2);
      await w.pass();
    },
    cure: (w) => w.advance(1_000),
    then: 'runner-started',
  },
  'the runner container does not start': {
    reason: 'start-failed',
    detail: /^the runner container did not start: no space left on device; next try in 1\.0 s$/,
    cause: async (w) => {
      w.runtime.failNextStart(new Error('no space left on device'));
      w.queue(2);
      await w.pass();
    },
    cure: (w) => w.advance(1_000),
    then: 'runner-started',
  },
  'the runner it got exited before taking it': {
    reason: 'runner-failed',
    detail:
      /^runner runner-0000000000 exited with code 1 before taking a job; next runner in 1\.0 s$/,
    cause: async (w) => {
      w.queue(2);
      await w.pass();
      w.runtime.exit(w.runtime.of()[0]?.name ?? '', 1);
      await w.pass();
    },
    cure: (w) => w.advance(1_000),
    then: 'runner-started',
  },
  'a runner waits for GitHub to hand it the job': {
    reason: 'runner-started',
    detail:
      /^runner runner-0000000000 is up on local and has waited 20 s for GitHub to hand it the job$/,
    cause: async (w) => {
      w.queue(2);
      await w.pass();
      await w.advance(20_000);
    },
    cure: async (w) => {
      w.take(2, w.runtime.of()[0]?.name ?? '');
      await w.pass();
    },
    then: 'not waiting',
  },
  "the pool's source hears of no job": {
    reason: 'source-down',
    detail:
      /^scale set linux: no message session for 5\.0 s \(the Actions service answered 503\); next try in 4\.0 s\. Until it is back/,
    cause: async (w) => {
      outage = {
        what: 'scale set linux: no message session',
        since: Date.now() - 5_000,
        retryAt: Date.now() + 4_000,
        error: 'the Actions service answered 503',
      };
      w.queue(2);
      await w.pass();
    },
    cure: async (w) => {
      outage = undefined;
      await w.pass();
    },
    then: 'runner-started',
  },
  'its source counts fewer jobs than are booked': {
    reason: 'pending',
    uncounted: true,
    detail: /^its job source counts 0 waiting job\(s\), fewer than are booked/,
    cause: async (w) => {
      w.waiting.report(w.poolOf().id, 0);
      w.queue(2);
      await w.pass();
    },
    cure: async (w) => {
      w.waiting.report(w.poolOf().id, 1);
      await w.pass();
    },
    then: 'runner-started',
  },
  'no pool serves its labels': {
    reason: 'no-pool',
    detail:
      /^no pool has all its labels \(self-hosted, gpu\); pools: octo-app: self-hosted, linux$/,
    cause: async (w) => {
      w.unserved.record({
        repoId: 'octo-app',
        repository: 'octo/app',
        jobId: 2,
        labels: ['self-hosted', 'gpu'],
        pools: [{ id: 'octo-app', labels: ['self-hosted', 'linux'] }],
        at: Date.now(),
      });
      await w.pass();
    },
    cure: async (w) => {
      w.unserved.forget(2);
      await w.pass();
    },
    then: 'not waiting',
  },
};

describe('why a job waits, read from /health and the metrics', () => {
  it.each(Object.entries(CASES))('%s', async (_name, c) => {
    const w = setUp(c.options);
    await c.cause(w);
    await w.advance(1);
    const { job } = await reasonOf(w, 2, !c.uncounted);
    expect(job).toMatchObject({
      reason: c.reason,
      pool: c.pool ?? (c.reason === 'no-pool' ? null : w.poolOf().id),
    });
    expect(job?.detail).toMatch(c.detail);

    await c.cure(w);
    const { job: after, read } = await reasonOf(w, 2);
    const labels = { pool: job?.pool ?? '', reason: c.reason };
    expect(after?.reason ?? 'not waiting').toBe(c.then);
    expect(read.metric('autoscaler_jobs_waiting', labels)).toBe(0);
    expect(read.metric('autoscaler_job_wait_oldest_seconds', labels)).toBeUndefined();
  });
});

describe('a job that waits too long', () => {
  it('is logged once, with its reason, when it passes JOB_WAIT_WARN_SECONDS', async () => {
    const w = setUp({ ...pools, env: { ...pools.env, JOB_WAIT_WARN_SECONDS: '60' } });
    await busyRunner(w, 1, SMALL);
    w.queue(2, SMALL);
    await w.pass();
    await w.advance(59_000);
    const warned = () => w.logged('job waiting longer than JOB_WAIT_WARN_SECONDS');
    expect(warned()).toEqual([]);
    // The reconciler wakes itself when the job passes the threshold: no other pass is needed.
    await w.advance(1_000);
    expect(warned()).toMatchObject([
      {
        level: 40,
        pool: SMALL,
        jobId: 2,
        waitedSeconds: 60,
        reason: 'pool-cap',
        detail: 'the pool is at its cap: 1 of 1 runners (1 busy)',
      },
    ]);
    await w.advance(600_000);
    await w.pass();
    expect(warned()).toHaveLength(1);
    // The job that took the runner never waited that long.
    expect(warned().map((line) => line.jobId)).toEqual([2]);
  });
});
