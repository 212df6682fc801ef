import { describe, expect, it } from 'vitest';
import { webhookEntries } from '../../controller/src/config/job-sources.ts';
import type { RegisteredRunner } from '../../controller/src/domain/registrar.ts';
import { GitHubRefusal } from '../../controller/src/github/github-error.ts';
import type { JobReader } from '../../controller/src/github/job-reader.ts';
import type { RepoGitHub } from '../../controller/src/github/repo-github.ts';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import { RepoResync } from '../../controller/src/resync/repo-resync.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';
import { recordingLog } from '../support/fakes/reconciler-setup.ts';

// One entry's resync: its jobs (only for pools webhooks feed), its registered runners and the
// hook's upkeep, each failing on its own, and the entry's GitHub health after it.

const FILE = JSON.stringify({
  repositories: [
    { id: 'hooks', github_url: 'https://github.com/o/hooks', github_token: 't' },
    {
      id: 'sets',
      github_url: 'https://github.com/o/sets',
      github_token: 't',
      job_source: 'scaleset',
      scale_set_name: 'big',
    },
  ],
});

function setup(fail: { jobs?: Error; runners?: Error } = {}) {
  const config = testConfig({ REPOS_CONFIG_FILE: '/r.json' }, { '/r.json': FILE });
  const fed = new Map(webhookEntries(config.repos).map((repo) => [repo.id, repo]));
  const reads: string[] = [];
  const reported: [string, readonly RegisteredRunner[]][] = [];
  const tended: string[] = [];
  const outcomes: [string, string][] = [];
  const jobs = new JobBook();
  const reader: JobReader = {
    unfinishedJobs: () => {
      if (fail.jobs) return Promise.reject(fail.jobs);
      return Promise.resolve({ jobs: [], covered: new Set<string>(), refused: [] });
    },
    job: () => Promise.resolve(undefined),
  };
  const github = (repoId: string): RepoGitHub => ({
    jobs: () => {
      reads.push(`jobs:${repoId}`);
      return Promise.resolve(reader);
    },
    runners: () => {
      reads.push(`runners:${repoId}`);
      if (fail.runners) return Promise.reject(fail.runners);
      return Promise.resolve([{ id: 1, name: 'runner-0000000001', status: 'online', busy: true }]);
    },
    hooks: () => Promise.reject(new Error('not faked')),
    jitConfig: () => Promise.reject(new Error('not faked')),
    deregister: () => Promise.reject(new Error('not faked')),
    registrationToken: () => Promise.reject(new Error('not faked')),
  });
  const resync = new RepoResync({
    repos: config.repos,
    github,
    fed: (repoId) => fed.get(repoId),
    jobs,
    intake: { book: (events) => events.map((event) => jobs.apply(event)) },
    onRunners: (repoId, runners) => reported.push([repoId, runners]),
    extra: (repo) => {
      tended.push(repo.id);
      return Promise.resolve();
    },
    onResync: (repoId, outcome) => outcomes.push([repoId, outcome]),
    log: recordingLog().log,
    now: () => 5_000,
  });
  const repo = (id: string) => {
    const found = config.repos.find((r) => r.id === id);
    if (!found) throw new Error(`no ${id}`);
    return found;
  };
  return { resync, reads, reported, tended, outcomes, repo };
}

describe('an entry’s resync', () => {
  it('reads jobs and tends the hook only where webhooks feed a pool; runners everywhere', async () => {
    const s = setup();
    await s.resync.read(s.repo('hooks'));
    await s.resync.read(s.repo('sets'));
    expect(s.reads).toEqual(['jobs:hooks', 'runners:hooks', 'runners:sets']);
    expect(s.tended).toEqual(['hooks']);
    expect(s.reported.map(([repoId, runners]) => [repoId, runners.length])).toEqual([
      ['hooks', 1],
      ['sets', 1],
    ]);
    expect(s.resync.health('sets')).toEqual({
      reachable: true,
      lastError: undefined,
      lastSyncAt: 5_000,
    });
    expect(s.outcomes).toEqual([
      ['hooks', 'ok'],
      ['sets', 'ok'],
    ]);
  });

  it('goes on with the runners when the jobs fail, and says GitHub answered but refused', async () => {
    const refusal = new GitHubRefusal('reading jobs: the token needs Actions read', undefined);
    const s = setup({ jobs: refusal });
    await s.resync.read(s.repo('hooks'));
    expect(s.reads).toEqual(['jobs:hooks', 'runners:hooks']);
    expect(s.reported).toHaveLength(1);
    expect(s.resync.health('hooks')).toMatchObject({
      reachable: true,
      lastError: 'reading jobs: the token needs Actions read',
      lastSyncAt: undefined,
    });
    expect(s.outcomes).toEqual([['hooks', 'error']]);
  });

  it('marks GitHub unreachable when a read could not reach it', async () => {
    const s = setup({
      runners: new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }),
    });
    await s.resync.read(s.repo('sets'));
    expect(s.resync.health('sets')).toMatchObject({ reachable: false, lastError: 'fetch failed' });
  });
});
