import { afterEach, describe, expect, it } from 'vitest';
import { scaleSetPools } from '../../controller/src/config/job-sources.ts';
import { CredentialClients } from '../../controller/src/github/credential-clients.ts';
import { createRepoGitHub } from '../../controller/src/github/repo-github.ts';
import { restRegistrars } from '../../controller/src/github/rest-registrar.ts';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import { createJobIntake } from '../../controller/src/jobs/job-intake.ts';
import { WaitingJobs } from '../../controller/src/jobs/waiting-jobs.ts';
import { scaleSetOutage } from '../../controller/src/scaleset/scale-set-outage.ts';
import { ScaleSetPools } from '../../controller/src/scaleset/scale-set-pools.ts';
import type { ScaleSetHealth } from '../../controller/src/scaleset/scale-set-source.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';
import { startFakeActions, type FakeActions } from '../support/fakes/fake-actions/index.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import {
  connectSource,
  type ConnectedSource,
} from '../support/fakes/fake-actions/scale-set-harness.ts';
import {
  recordingLog,
  setUpReconciler,
  type ReconcilerSetup,
} from '../support/fakes/reconciler-setup.ts';
import { readWaits, statusModel } from '../support/fakes/status-setup.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// Issue 19: reasons that come from GitHub's answers, against the fake services. A scale-set
// pool whose session is down (the fake Actions service), and a registration GitHub refuses (the
// fake GitHub and the product's REST registrar): the waiting job says so in /health and the
// metrics, and says what it waits for again once the service answers or the token is fixed.

const SCALE_SET = 'linux-x64';
const ENV = {
  GITHUB_URL: 'https://github.com/octocat/hello-world',
  GITHUB_TOKEN: 'token',
  JOB_SOURCE: 'scaleset',
  SCALE_SET_NAME: SCALE_SET,
};

let fake: FakeActions | undefined;
let pools: ScaleSetPools | undefined;
let w: ReconcilerSetup | undefined;
let client: ConnectedSource | undefined;
let github: FakeGitHub | undefined;

afterEach(async () => {
  await w?.stop();
  await pools?.stop();
  client?.assertNoSecretLeaked();
  fake?.assertClean();
  await fake?.close();
  github?.assertClean();
  await github?.close();
  [fake, pools, w, client, github] = [undefined, undefined, undefined, undefined, undefined];
});

describe('a job whose runner GitHub refuses to register', () => {
  it('says GitHub answered 403 and what that means, until the token has the permission', async () => {
    github = await startFakeGitHub({ tokens: [{ token: 'limited', deny: ['runners'] }] });
    const gh = github;
    const env = {
      GITHUB_URL: `https://github.com/${gh.defaultRepo.owner}/${gh.defaultRepo.name}`,
      GITHUB_API_URL: gh.apiUrl,
      GITHUB_TOKEN: 'limited',
    };
    const { log } = recordingLog();
    const { repos } = testConfig(env);
    const clients = new CredentialClients({ fetch, log, now: Date.now });
    const registrars = new Map(
      restRegistrars(repos, (repoId) => {
        const repo = repos.find((candidate) => candidate.id === repoId);
        if (!repo) throw new Error(`no repository ${repoId}`);
        return createRepoGitHub(repo, clients.clientFor(repo));
      }),
    );
    const setup = setUpReconciler({ env, registrars });
    w = setup;
    setup.queue(7);
    const waitingFor = async () => {
      await setup.pass();
      const read = await readWaits(statusModel(setup));
      return { job: read.jobs.find((job) => job.jobId === 7), read };
    };
    await waitUntil(
      async () => (await waitingFor()).job?.reason === 'registration-failed',
      10_000,
      'the registration refused',
    );
    const refused = await waitingFor();
    expect(refused.job?.detail).toMatch(
      /^GitHub refuses to register a runner \(answered 403: the credential lacks a permission, or GitHub asks to slow down\): registering a runner: GitHub answered 403 \(Resource not accessible by personal access token\): the credential lacks a permission; the token needs Administration: read and write/,
    );
    expect(refused.read.metric('autoscaler_jobs_waiting', { reason: 'registration-failed' })).toBe(
      1,
    );

    // Its owner gives the token the permission: the next try registers and starts a runner.
    gh.setTokenDenied('limited', []);
    await waitUntil(
      async () => (await waitingFor()).job?.reason === 'runner-started',
      10_000,
      'a runner started',
    );
    await waitUntil(() => setup.runtime.of().length === 1, 10_000, 'its container');
    const served = await waitingFor();
    expect(served.job?.reason).toBe('runner-started');
    expect(served.read.metric('autoscaler_jobs_waiting', { reason: 'registration-failed' })).toBe(
      0,
    );
    expect(gh.runners().map((runner) => runner.name)).toEqual([setup.runtime.of()[0]?.name]);
  });
});

describe('a job of a scale set whose session is down', () => {
  it('waits for the source (since when, next try), then for its runner once it is back', async () => {
    fake = await startFakeActions({ sessionTimeoutMs: 600, longPollMs: 300 });
    const service = fake;
    const source = connectSource(service, { backoff: { initialMs: 400, maxMs: 400 } });
    client = source;
    const [pool] = scaleSetPools(testConfig(ENV).pools);
    if (!pool) throw new Error('no scale-set pool');
    const jobs = new JobBook();
    const waiting = new WaitingJobs(jobs);
    const scaleSets = new ScaleSetPools({
      pools: [pool],
      source: () => source.source,
      actions: () => source.actions,
      log: recordingLog().log,
    });
    pools = scaleSets;
    // Runners start but are never played: the job stays waiting for one to take it.
    const setup = setUpReconciler({
      env: ENV,
      jobs,
      waiting,
      registrars: scaleSets.registrars(),
      sourceOutage: (poolId) => scaleSets.outage(poolId),
    });
    w = setup;
    const intake = createJobIntake({
      jobs,
      waiting,
      capacity: (poolId) => setup.reconciler.capacityFor(poolId),
      onChange: () => setup.reconciler.trigger(),
    });
    await setup.pass();
    scaleSets.start(intake);
    await service.waitFor(() => source.source.health().state === 'listening', 5000, 'listening');
    const job = service.queueJob({ scaleSet: SCALE_SET });
    await service.waitFor(() => jobs.waiting(pool.id).length === 1, 5000, 'job booked');
    await service.waitFor(() => setup.runtime.of().length === 1, 5000, 'its runner started');
    const reason = async () => {
      await setup.pass();
      const read = await readWaits(statusModel(setup));
      const found = read.jobs.find((candidate) => candidate.jobId === job.runnerRequestId);
      return { job: found, read };
    };
    expect((await reason()).job?.reason).toBe('runner-started');

    // The service fails every poll: the source backs off and hears nothing.
    service.failNext({ status: 503, match: /^GET .*\/messages/, count: 1_000 });
    await service.waitFor(
      () => source.source.health().state === 'backing-off',
      5000,
      'the source backing off',
    );
    const down = await reason();
    expect(down.job).toMatchObject({ pool: pool.id, reason: 'source-down' });
    expect(down.job?.detail).toMatch(
      /^scale set linux-x64: its message queue does not answer for \d+(\.\d)? s \(.*503.*\); (next try in \d+(\.\d)? s|trying again now)\. Until it is back the controller hears of no job of this pool/,
    );
    expect(down.read.metric('autoscaler_jobs_waiting', { reason: 'source-down' })).toBe(1);
    expect(down.read.metric('autoscaler_job_wait_oldest_seconds', { reason: 'source-down' })).toBe(
      down.read.metric('autoscaler_job_wait_oldest_seconds', { pool: pool.id }),
    );

    // The service answers again: the job waits for its runner, as before.
    service.clearFaults();
    await service.waitFor(() => source.source.health().state === 'listening', 5000, 'back');
    const back = await reason();
    expect(back.job?.reason).toBe('runner-started');
    expect(back.read.metric('autoscaler_jobs_waiting', { reason: 'source-down' })).toBe(0);
  });
});

describe('scaleSetOutage', () => {
  const health = (fields: Partial<ScaleSetHealth>): ScaleSetHealth => ({
    scaleSetName: 'linux',
    scaleSetId: 1,
    state: 'listening',
    sessionId: 's',
    statistics: undefined,
    lastPollAt: undefined,
    lastMessageAt: undefined,
    sincePollMs: undefined,
    sinceMessageMs: undefined,
    messagesHandled: 0,
    consecutiveFailures: 0,
    lastError: undefined,
    adminTokenExpiresAt: undefined,
    downSince: undefined,
    retryAt: undefined,
    ...fields,
  });

  it('is none while the queue is heard, and says what is down otherwise', () => {
    expect(scaleSetOutage(undefined)).toBeUndefined();
    expect(scaleSetOutage(health({}))).toBeUndefined();
    const since = { downSince: 5, retryAt: 9, lastError: 'boom' };
    expect(scaleSetOutage(health({ state: 'backing-off', ...since }))).toEqual({
      what: 'scale set linux: its message queue does not answer',
      since: 5,
      retryAt: 9,
      error: 'boom',
    });
    expect(
      scaleSetOutage(health({ state: 'connecting', sessionId: undefined, ...since }))?.what,
    ).toBe('scale set linux: no message session');
    expect(scaleSetOutage(health({ state: 'waiting-for-session', ...since }))?.what).toBe(
      'scale set linux: another listener still holds its message session',
    );
  });
});
