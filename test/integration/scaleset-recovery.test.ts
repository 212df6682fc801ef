import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noLeftovers } from '../support/harness/docker-cleanup.ts';
import {
  startFakeActions,
  type FakeActions,
  type FakeOutage,
  type FakeScaleSetJob,
} from '../support/fakes/fake-actions/index.ts';
import { createHarness, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

/*
 * A scale-set pool rides out faults of the Actions service (issue 19): jobs queued while the
 * service fails are served within RECOVERY_MS of its return, none is lost and none runs twice.
 * The real controller process, the fake Actions service at its default long poll (5 s) and
 * session timeout (10 s), runner stub containers on the real engine.
 */

const SCALE_SET = 'recovering-builders';
const CONFIG_URL = 'https://github.com/octocat/hello-world';
const CAP = 4;
const RECOVERY_MS = 10_000;
const OUTAGE_MS = 20_000;

let h: Harness;
let actions: FakeActions;

beforeEach(async () => {
  h = await createHarness();
  actions = await startFakeActions({
    configUrls: [CONFIG_URL],
    acceptRegistrationToken: () => true,
  });
  h.fake.useActionsService(actions.apiUrl);
});

afterEach(async (context) => {
  await h.cleanup(context);
  await actions.close();
  actions.assertClean();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A controller serving the scale set, proven by one job served end to end. */
async function serving(): Promise<void> {
  await h.start(
    {
      JOB_SOURCE: 'scaleset',
      SCALE_SET_NAME: SCALE_SET,
      WEBHOOK_SECRET: '',
      MAX_RUNNERS: `${CAP}`,
    },
    { manualHook: false },
  );
  const first = actions.queueJob({ scaleSet: SCALE_SET, durationMs: 200 });
  await waitUntil(() => done(first), 30_000, 'a first job served');
}

const done = (job: FakeScaleSetJob) => actions.job(job.runnerRequestId)?.state === 'completed';

function queue(count: number, durationMs: number): FakeScaleSetJob[] {
  return Array.from({ length: count }, () => actions.queueJob({ scaleSet: SCALE_SET, durationMs }));
}

/** Milliseconds from `since` to the moment a runner took each job. */
function takenAfter(jobs: FakeScaleSetJob[], since: number): number[] {
  return jobs.map(
    (job) => Date.parse(actions.job(job.runnerRequestId)?.runnerAssignTime ?? '') - since,
  );
}

/** Every job succeeded once; every runner the controller registered took exactly one job. */
function nothingLostNoneTwice(jobs: FakeScaleSetJob[]): void {
  for (const job of jobs) expect(actions.job(job.runnerRequestId)?.result).toBe('succeeded');
  const taken = new Map<string, number>();
  for (const job of actions.jobs())
    if (job.runner) taken.set(job.runner.name, (taken.get(job.runner.name) ?? 0) + 1);
  expect([...taken.values()].filter((count) => count !== 1)).toEqual([]);
  const idle = actions.runners().filter((runner) => !taken.has(runner.name));
  expect(idle.map((runner) => runner.name)).toEqual([]);
}

async function allServed(jobs: FakeScaleSetJob[], timeoutMs = 90_000): Promise<void> {
  await waitUntil(() => jobs.every(done), timeoutMs, `${jobs.length} jobs completed`);
}

/** Every job served within RECOVERY_MS of `since`, none lost, none twice. */
async function servedWithin(jobs: FakeScaleSetJob[], since: number): Promise<void> {
  await allServed(jobs);
  expect(Math.max(...takenAfter(jobs, since))).toBeLessThanOrEqual(RECOVERY_MS);
  nothingLostNoneTwice(jobs);
}

describe('a scale-set pool after the Actions service fails', () => {
  it.each([
    ['503s', { status: 503 }],
    ['unanswered requests', { hang: true }],
  ] satisfies [string, FakeOutage][])(
    'serves jobs queued during 20 s of %s within 10 s of the return',
    async (_, outage) => {
      await serving();
      actions.outage(outage);
      await sleep(2_000);
      const jobs = queue(CAP, 1_000);
      await sleep(OUTAGE_MS - 2_000);
      await servedWithin(jobs, actions.endOutage());
      await noLeftovers(h.controllerId);
    },
  );

  it('drains a backlog at engine speed after 503s for 20 s and an expired admin token', async () => {
    // The run of issue 19: 24 three-second jobs at cap 4, the outage mid-burst.
    await serving();
    const before = queue(12, 3_000);
    await waitUntil(
      () => before.filter((job) => actions.job(job.runnerRequestId)?.runner).length >= CAP,
      30_000,
      'the burst under way',
    );
    actions.outage({ status: 503 });
    const during = queue(12, 3_000);
    await sleep(OUTAGE_MS);
    const back = actions.endOutage();
    actions.expireAdminTokens();
    const jobs = [...before, ...during];
    await allServed(jobs, 120_000);
    const waiting = takenAfter(jobs, back).filter((ms) => ms >= 0);
    // The first wave after the return within RECOVERY_MS; then waves of CAP jobs of 3 s each,
    // with 1.5 s a wave for the runners' exit and start.
    const firstWave = waiting.sort((a, b) => a - b).slice(0, CAP);
    expect(Math.max(...firstWave)).toBeLessThanOrEqual(RECOVERY_MS);
    const waves = Math.ceil(waiting.length / CAP);
    const finished = Math.max(
      ...jobs.map((job) => Date.parse(actions.job(job.runnerRequestId)?.finishTime ?? '')),
    );
    expect(finished - back).toBeLessThanOrEqual(RECOVERY_MS + waves * 4_500);
    nothingLostNoneTwice(jobs);
    await noLeftovers(h.controllerId);
  });

  it.each([
    ['its admin tokens expire', false, () => actions.expireAdminTokens()],
    [
      'its session is dropped on GitHub’s side',
      false,
      () => actions.evictSession(actions.sessions().find((s) => s.active)?.id ?? 'none'),
    ],
    ['its scale set is deleted on GitHub’s side', true, () => actions.deleteScaleSet(SCALE_SET)],
  ])('serves jobs queued after %s within 10 s', async (_, recreated, fault) => {
    await serving();
    const old = actions.scaleSet(SCALE_SET)?.id;
    const at = Date.now();
    fault();
    await servedWithin(queue(CAP, 1_000), at);
    const now = actions.scaleSet(SCALE_SET)?.id;
    if (recreated) expect(now).not.toBe(old);
    else expect(now).toBe(old);
  });
});
