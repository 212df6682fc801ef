import { describe, expect, it } from 'vitest';
import { waitDetail } from '../../controller/src/reconcile/wait-detail.ts';
import { waitReasons } from '../../controller/src/reconcile/wait-reasons.ts';
import {
  WAIT_REASONS,
  type PoolWaitFacts,
  type WaitFacts,
  type WaitReasonName,
} from '../../controller/src/reconcile/wait-types.ts';

// The pure reason function: one table row per reason, then how runners cover jobs and how the
// counts add up to the planner's count.

const NOW = 1_000_000;

const pool = (fields: Partial<PoolWaitFacts> = {}): PoolWaitFacts => ({
  id: 'app/linux',
  repoId: 'app',
  maxRunners: 4,
  platform: undefined,
  engineLabels: {},
  runtimes: undefined,
  waiting: [{ id: 1, repository: 'octo/app', queuedAt: NOW - 90_000 }],
  count: 1,
  refused: false,
  blockedUntil: 0,
  lastFailure: undefined,
  outage: undefined,
  ...fields,
});

type Engine = WaitFacts['engines'][number];
const engine = (fields: Partial<Engine> = {}): Engine => ({
  id: 'local',
  up: true,
  capacity: 10,
  platforms: ['linux/amd64'],
  labels: {},
  runtimes: ['runc'],
  downSince: undefined,
  error: undefined,
  ...fields,
});

type Runner = WaitFacts['runners'][number];
const runner = (fields: Partial<Runner> = {}): Runner => ({
  name: 'runner-1',
  poolId: 'app/linux',
  engineId: 'local',
  phase: 'busy',
  since: NOW - 30_000,
  jobId: undefined,
  ...fields,
});
const busy = (n: number, fields: Partial<Runner> = {}) =>
  Array.from({ length: n }, (_, i) => runner({ name: `runner-${i}`, ...fields }));

const facts = (fields: Partial<WaitFacts> = {}): WaitFacts => ({
  now: NOW,
  maxRunners: 10,
  pools: [pool()],
  runners: [],
  engines: [engine()],
  spawns: [],
  unserved: [],
  ...fields,
});

const down = { downSince: NOW - 120_000, error: 'connect ECONNREFUSED', up: false };

const CASES: [string, WaitFacts, WaitReasonName, RegExp][] = [
  [
    'the scale set has no session',
    facts({
      pools: [
        pool({
          outage: {
            what: 'scale set linux: no message session',
            since: NOW - 65_000,
            retryAt: NOW + 8_000,
            error: 'the Actions service answered 503',
          },
        }),
      ],
      runners: [runner({ phase: 'idle' })],
    }),
    'source-down',
    /^scale set linux: no message session for 1 min 5 s \(the Actions service answered 503\); next try in 8\.0 s/,
  ],
  [
    'no engine has its platform',
    facts({ pools: [pool({ platform: 'linux/arm64', refused: true })] }),
    'no-engine-fits',
    /no engine can run this pool: it needs linux\/arm64; engines: local: linux\/amd64/,
  ],
  [
    'no engine has its runtime (refused)',
    facts({ pools: [pool({ runtimes: { runner: 'runsc', dind: undefined }, refused: true })] }),
    'no-engine-fits',
    /it needs its native platform, runtime runsc/,
  ],
  [
    'a runner started for it',
    facts({ runners: [runner({ phase: 'starting', jobId: 1, since: NOW - 12_000 })] }),
    'runner-started',
    /^runner runner-1 is starting on local, for 12 s$/,
  ],
  [
    'an idle runner waits for GitHub to hand it the job',
    facts({ runners: [runner({ phase: 'idle', since: NOW - 45_000 })] }),
    'runner-started',
    /runner runner-1 is up on local and has waited 45 s for GitHub to hand it the job/,
  ],
  [
    'this pass starts one',
    facts({ spawns: [{ poolId: 'app/linux', engineId: 'local' }] }),
    'runner-started',
    /a runner is being started for it on local/,
  ],
  [
    'its only engine is down',
    facts({ engines: [engine(down)] }),
    'engine-down',
    /the engine it needs does not answer: local for 2 min \(connect ECONNREFUSED\)/,
  ],
  [
    'its runners are stuck on an engine that is down, at the cap',
    facts({
      pools: [pool({ maxRunners: 2 })],
      engines: [engine(), engine({ id: 'far', ...down })],
      runners: busy(2, { phase: 'unreachable', engineId: 'far' }),
    }),
    'engine-down',
    /far for 2 min .*its 2 runner\(s\) there count against the pool's cap/,
  ],
  [
    'GitHub refuses the registration',
    facts({
      pools: [
        pool({
          blockedUntil: NOW + 4_000,
          lastFailure: {
            stage: 'registration',
            status: 403,
            error: 'registering a runner: GitHub answered 403',
            at: NOW - 1_000,
          },
        }),
      ],
    }),
    'registration-failed',
    /GitHub refuses to register a runner \(answered 403: the credential lacks a permission.*next try in 4\.0 s/,
  ],
  [
    'the image cannot be pulled',
    facts({
      pools: [
        pool({
          blockedUntil: NOW + 2_000,
          lastFailure: { stage: 'image', error: 'pull access denied for x', at: NOW },
        }),
      ],
    }),
    'image-pull-failed',
    /the runner image cannot be pulled: pull access denied for x; next try in 2\.0 s/,
  ],
  [
    'the container did not start',
    facts({
      pools: [
        pool({
          blockedUntil: NOW + 2_000,
          lastFailure: { stage: 'start', error: 'no space left on device', at: NOW },
        }),
      ],
    }),
    'start-failed',
    /the runner container did not start: no space left on device/,
  ],
  [
    'the runner it got exited before taking it',
    facts({
      pools: [
        pool({
          blockedUntil: NOW + 16_000,
          lastFailure: {
            stage: 'early-exit',
            runner: 'runner-9',
            exitCode: 1,
            outdated: false,
            at: NOW,
          },
        }),
      ],
    }),
    'runner-failed',
    /runner runner-9 exited with code 1 before taking a job; next runner in 16 s/,
  ],
  [
    'the runner version is outdated',
    facts({
      pools: [
        pool({
          blockedUntil: NOW + 600_000,
          lastFailure: { stage: 'early-exit', runner: 'r', exitCode: 7, outdated: true, at: NOW },
        }),
      ],
    }),
    'runner-failed',
    /code 7: GitHub no longer accepts its runner version; update the runner image; next try in 10 min/,
  ],
  [
    'the pool is at its cap',
    facts({ runners: [...busy(3), runner({ name: 'x', phase: 'exited' })] }),
    'pool-cap',
    /^the pool is at its cap: 4 of 4 runners \(3 busy, 1 exited\)$/,
  ],
  [
    'MAX_RUNNERS is reached by another pool',
    facts({ maxRunners: 3, runners: busy(3, { poolId: 'app/other' }) }),
    'global-cap',
    /^MAX_RUNNERS is reached: 3 of 3 runner containers in use$/,
  ],
  [
    'no engine has room',
    facts({
      pools: [pool({ engineLabels: { size: 'big' } })],
      engines: [engine({ capacity: 2, labels: { size: 'big' } }), engine({ id: 'small' })],
      runners: busy(2, { poolId: 'app/other' }),
    }),
    'no-engine-room',
    /^no engine that can run this pool has room: local 2 of 2$/,
  ],
  [
    'the engines up are full and another is down',
    facts({
      engines: [engine({ capacity: 1 }), engine({ id: 'b', ...down })],
      runners: busy(1, { poolId: 'app/other' }),
    }),
    'engine-down',
    /does not answer: b for 2 min/,
  ],
  [
    'nothing holds it back (the next pass starts a runner)',
    facts(),
    'pending',
    /a runner is started for it at the next pass/,
  ],
  [
    'the source counts fewer than are booked',
    facts({
      pools: [
        pool({
          count: 0,
          waiting: [{ id: 1, repository: 'octo/app', queuedAt: NOW - 1 }],
        }),
      ],
    }),
    'pending',
    /its job source counts 0 waiting job\(s\), fewer than are booked/,
  ],
  [
    'no pool serves its labels',
    facts({
      pools: [pool({ waiting: [], count: 0 })],
      unserved: [
        {
          repoId: 'app',
          repository: 'octo/app',
          jobId: 7,
          labels: ['self-hosted', 'gpu'],
          pools: [{ id: 'app/linux', labels: ['self-hosted', 'linux'] }],
          at: NOW - 5_000,
        },
      ],
    }),
    'no-pool',
    /no pool has all its labels \(self-hosted, gpu\); pools: app\/linux: self-hosted, linux/,
  ],
];

describe('waitReasons: one reason for each cause', () => {
  it.each(CASES)('%s', (_name, input, reason, detail) => {
    const { jobs } = waitReasons(input);
    expect(jobs).toHaveLength(1);
    const [wait] = jobs;
    expect(wait?.why.reason).toBe(reason);
    expect(wait && waitDetail(wait.why, NOW)).toMatch(detail);
  });

  it('has a row for every reason it can give', () => {
    expect(new Set(CASES.map(([, , reason]) => reason))).toEqual(new Set(WAIT_REASONS));
  });
});

describe('waitReasons: runners cover the oldest jobs, their own first', () => {
  const three = [1, 2, 3].map((id) => ({
    id,
    repository: 'octo/app',
    queuedAt: NOW - 10_000 + id,
  }));

  it('a runner labelled with a job covers that one; the others cover the oldest left', () => {
    const { jobs } = waitReasons(
      facts({
        pools: [pool({ waiting: three, count: 3, maxRunners: 2 })],
        runners: [runner({ name: 'for-3', phase: 'starting', jobId: 3 })],
        spawns: [{ poolId: 'app/linux', engineId: 'local' }],
      }),
    );
    expect(jobs.map((j) => [j.jobId, j.why.reason])).toEqual([
      [1, 'runner-started'],
      [2, 'pool-cap'],
      [3, 'runner-started'],
    ]);
    expect(jobs[2]?.why).toMatchObject({ runner: 'for-3' });
    expect(jobs[0]?.why).toMatchObject({ runner: undefined });
  });

  it('counts per reason add up to the pool count, also past the booked jobs', () => {
    const report = waitReasons(
      facts({
        pools: [pool({ waiting: three, count: 5, maxRunners: 3 })],
        runners: [runner({ phase: 'idle' }), ...busy(1, { name: 'b' })],
      }),
    );
    const counts = report.counts.map((c) => [c.reason, c.jobs, c.oldestQueuedAt]);
    expect(counts).toEqual([
      ['runner-started', 1, NOW - 9_999],
      // One more runner fits (3 - 2); the rest wait for the cap.
      ['pending', 1, NOW - 9_998],
      ['pool-cap', 3, NOW - 9_997],
    ]);
    expect(report.counts.reduce((sum, c) => sum + c.jobs, 0)).toBe(5);
  });
});
