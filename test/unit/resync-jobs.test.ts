import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GitHubScope } from '../../controller/src/config/github-url.ts';
import { createConditionalGets } from '../../controller/src/github/conditional-get.ts';
import { createOctokit } from '../../controller/src/github/create-octokit.ts';
import { GitHubRefusal } from '../../controller/src/github/github-error.ts';
import { createJobReader } from '../../controller/src/github/job-reader.ts';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import { createJobIntake } from '../../controller/src/jobs/job-intake.ts';
import { WaitingJobs } from '../../controller/src/jobs/waiting-jobs.ts';
import { resyncJobs } from '../../controller/src/resync/job-resync.ts';
import { testRepo } from '../support/fixtures/config-fixtures.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';

// The job resync against the fake GitHub (real HTTP, OpenAPI-checked answers); no webhooks.
let fake: FakeGitHub;

afterEach(async () => {
  await fake.close();
  fake.assertClean();
});

function resyncer(scope: GitHubScope, requestBudget = 50) {
  const octokit = createOctokit({
    apiUrl: fake.apiUrl,
    auth: { kind: 'token', token: fake.token },
    log: pino({ level: 'silent' }),
  });
  const source = createJobReader(octokit, createConditionalGets(), scope, { requestBudget });
  const book = new JobBook();
  const intake = createJobIntake({
    jobs: book,
    waiting: new WaitingJobs(book),
    capacity: () => 0,
    onChange: () => undefined,
  });
  return {
    book,
    resync: () =>
      resyncJobs(testRepo(scope, fake.apiUrl, fake.token), source, book, intake, Date.now),
  };
}

const labels = ['self-hosted', 'linux'];

describe('resyncJobs', () => {
  it(
    'reaches every repository of an organization larger than one resync budget',
    { timeout: 20_000 },
    async () => {
      fake = await startFakeGitHub();
      const repos = Array.from({ length: 30 }, (_, i) =>
        fake.addRepo({ owner: 'big-org', name: `repo-${i}`, org: true }),
      );
      const jobs = await Promise.all(
        repos.map((repo) => fake.queueJob({ repo, labels, sendWebhook: false })),
      );
      const { book, resync } = resyncer({ kind: 'org', org: 'big-org' });
      await resync();
      const firstPass = book.waiting('p').length;
      expect(firstPass).toBeGreaterThan(0);
      expect(firstPass).toBeLessThan(jobs.length);
      await resync();
      await resync();
      expect(
        book
          .waiting('p')
          .map((job) => job.id)
          .sort(),
      ).toEqual(jobs.map((job) => job.id).sort());
    },
  );

  it('books a job completed whose completed event was lost, queued or in progress', async () => {
    fake = await startFakeGitHub();
    const { book, resync } = resyncer({ kind: 'repo', owner: 'octocat', repo: 'hello-world' });
    const queued = await fake.queueJob({ labels, sendWebhook: false });
    const running = await fake.queueJob({ labels, sendWebhook: false });
    await resync();
    // As if an in_progress webhook had come for the second one.
    book.apply({
      poolId: 'p',
      repoId: 'p',
      repository: 'octocat/hello-world',
      jobId: running.id,
      runId: running.runId,
      action: 'in_progress',
      labels,
      runnerName: 'runner-1',
      at: Date.now(),
    });
    await fake.cancelJob(queued.id);
    await fake.cancelJob(running.id);
    await resync();
    expect(book.get(queued.id)?.state).toBe('completed');
    expect(book.get(running.id)?.state).toBe('completed');
    expect(book.unfinished('p')).toEqual([]);
  });

  it('books a backlog larger than its budget oldest first, part by part', async () => {
    fake = await startFakeGitHub();
    const jobs = [];
    for (let i = 0; i < 30; i += 1) jobs.push(await fake.queueJob({ labels, sendWebhook: false }));
    // 10 requests: the two run listings, then the jobs of the eight oldest runs.
    const { book, resync } = resyncer({ kind: 'repo', owner: 'octocat', repo: 'hello-world' }, 10);
    await resync();
    expect(book.waiting('p').map((job) => job.id)).toEqual(jobs.slice(0, 8).map((job) => job.id));
  });

  it('reads past the first page of runs', async () => {
    fake = await startFakeGitHub();
    const jobs = [];
    for (let i = 0; i < 130; i += 1) jobs.push(await fake.queueJob({ labels, sendWebhook: false }));
    const { book, resync } = resyncer({ kind: 'repo', owner: 'octocat', repo: 'hello-world' }, 300);
    await resync();
    expect(book.waiting('p')).toHaveLength(130);
  });

  it('books the other repositories of an organization when GitHub refuses one, and says which', async () => {
    fake = await startFakeGitHub();
    const good = fake.addRepo({ owner: 'acme', name: 'good', org: true });
    const bad = fake.addRepo({ owner: 'acme', name: 'sso-protected', org: true });
    const jobs = [
      await fake.queueJob({ repo: good, labels, sendWebhook: false }),
      await fake.queueJob({ repo: bad, labels, sendWebhook: false }),
    ];
    fake.failAlways({
      status: 403,
      message: 'Resource protected by organization SAML enforcement.',
      match: /sso-protected\/actions\/runs/,
    });
    const { book, resync } = resyncer({ kind: 'org', org: 'acme' });
    for (let i = 0; i < 2; i += 1) {
      const error = await resync().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(GitHubRefusal);
      expect(String(error)).toContain('acme/sso-protected');
    }
    expect(book.waiting('p').map((job) => job.id)).toEqual([jobs[0]?.id]);
  });
});
