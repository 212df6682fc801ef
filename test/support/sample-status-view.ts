import type { RepositoryHealth } from '../../controller/src/status/health-types.ts';
import type { RecentJob, StatusView } from '../../controller/src/status/status-view.ts';

/** Markup that would run if any interpolation forgot to escape. */
export const XSS_PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

const repository = (id: string, healthy: boolean): RepositoryHealth => ({
  id,
  healthy,
  github: { reachable: true, lastSyncAt: '2025-01-15T10:20:00.000Z' },
  pools: [
    {
      id,
      labels: ['self-hosted', 'linux'],
      jobSource: 'webhook',
      healthy,
      waitingJobs: 1,
      maxRunners: 3,
      startFailures: healthy ? 0 : 3,
      earlyExits: 0,
      givenUpJobs: healthy ? 0 : 1,
      imageOutdated: false,
      runnerImage: {
        image: 'ghcr.io/acme/runner:2.338.0',
        version: '2.338.0',
        revision: 'abc1234',
      },
      runnerUpdate: { latest: '2.338.0', outdated: false, deadline: null, daysLeft: null },
    },
  ],
});

const job = (fields: Partial<RecentJob> & Pick<RecentJob, 'id' | 'state'>): RecentJob => ({
  repo: 'api',
  repository: 'acme/api',
  givenUp: false,
  runnerName: null,
  conclusion: null,
  queuedAt: '2025-01-15T10:19:00.000Z',
  queueSeconds: 0,
  durationSeconds: null,
  ...fields,
});

/** 3 runners, 2 waiting jobs, 6 recent jobs (one given up), 3 warnings (one hostile). */
export const sampleStatusView = (): StatusView => ({
  generatedAt: '2025-01-15T10:20:30.000Z',
  health: {
    status: 'degraded',
    build: { version: '1.4.0', revision: '0123abc' },
    maxRunners: 6,
    queueDepth: 2,
    runnerReleases: { latest: '2.338.0', checkedAt: '2025-01-15T08:00:00.000Z' },
    docker: {
      reachable: true,
      engines: [
        {
          name: 'local',
          endpoint: 'unix:///var/run/docker.sock',
          up: true,
          capacity: 6,
          runners: 3,
          platforms: ['linux/amd64'],
          labels: {},
        },
      ],
    },
    runners: [
      {
        name: 'runner-api-7f3a',
        repo: 'api',
        pool: 'api',
        state: 'busy',
        jobId: 1001,
        ageSeconds: 185,
      },
      {
        name: 'runner-api-c41d',
        repo: 'api',
        pool: 'api',
        state: 'idle',
        jobId: null,
        ageSeconds: 42,
      },
      {
        name: 'runner-web-09be',
        repo: 'web',
        pool: 'web',
        state: 'starting',
        jobId: null,
        ageSeconds: 3,
      },
    ],
    repositories: [repository('api', true), repository('web', false)],
    credentials: [
      {
        name: 'token-3f2a9c1e',
        repositories: 2,
        pointsLastMinute: 14,
        contentLastMinute: 2,
        pausedForSeconds: 0,
        secondaryLimitAnswers: 0,
        resyncBudgetPerMinute: 300,
        resyncRoundSeconds: 1.2,
      },
    ],
    unservedJobs: [
      {
        repo: 'api',
        repository: 'acme/api',
        jobId: 3003,
        labels: ['self-hosted', 'gpu'],
        pools: [{ id: 'api', labels: ['self-hosted', 'linux'] }],
        at: '2025-01-15T10:18:00.000Z',
      },
    ],
    warnings: [
      'web: runners fail to start: pull access denied for ghcr.io/acme/runner',
      'web: 1 job(s) given up',
      `web: ${XSS_PAYLOAD}`,
    ],
  },
  recentJobs: [
    job({ id: 2002, state: 'queued', repo: 'web', repository: 'acme/web', queueSeconds: 12.4 }),
    job({ id: 2001, state: 'queued', repository: `acme/${XSS_PAYLOAD}`, queueSeconds: 185 }),
    job({
      id: 1001,
      state: 'in_progress',
      runnerName: 'runner-api-7f3a',
      queueSeconds: 4.2,
      durationSeconds: 185,
    }),
    job({
      id: 1000,
      state: 'completed',
      conclusion: 'success',
      runnerName: 'runner-api-2b8e',
      queueSeconds: 6.8,
      durationSeconds: 305,
    }),
    job({
      id: 999,
      state: 'completed',
      conclusion: 'failure',
      runnerName: 'runner-api-5d21',
      queueSeconds: 0.4,
      durationSeconds: 48,
    }),
    job({
      id: 998,
      state: 'queued',
      repo: 'web',
      repository: 'acme/web',
      givenUp: true,
      queueSeconds: 3720,
    }),
  ],
});
