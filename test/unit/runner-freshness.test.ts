import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  compareVersions,
  RunnerReleases,
  type ReleaseFeed,
} from '../../controller/src/github/runner-releases.ts';
import { freshnessWarning, runnerFreshness } from '../../controller/src/status/runner-freshness.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';

const DAY = 24 * 3600_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const feedOf = (...releases: [string, number][]): ReleaseFeed => {
  const list = releases
    .map(([version, daysAgo]) => ({ version, publishedAt: NOW - daysAgo * DAY }))
    .sort((a, b) => compareVersions(b.version, a.version));
  return { latest: list[0], releases: list, checkedAt: NOW, error: undefined };
};

describe('runnerFreshness', () => {
  it('is current when the image has the latest version, and unknown without a label or a release', () => {
    const feed = feedOf(['2.338.0', 50], ['2.337.0', 100]);
    expect(runnerFreshness('2.338.0', feed, NOW)).toMatchObject({
      latest: '2.338.0',
      outdated: false,
      daysLeft: undefined,
      deadline: undefined,
    });
    expect(runnerFreshness(undefined, feed, NOW)).toBeUndefined();
    expect(runnerFreshness('2.338.0', feedOf(), NOW)).toBeUndefined();
    expect(runnerFreshness('dev', feed, NOW)).toBeUndefined();
  });

  it('warns once a newer runner has been out for more than 7 days, with the days GitHub leaves', () => {
    const within = runnerFreshness('2.338.0', feedOf(['2.339.0', 3], ['2.338.0', 50]), NOW);
    expect(within).toMatchObject({ outdated: false, daysLeft: 27 });
    expect(freshnessWarning('app', within)).toBeUndefined();

    const past = runnerFreshness('2.338.0', feedOf(['2.339.0', 10], ['2.338.0', 50]), NOW);
    expect(past).toMatchObject({ outdated: true, daysLeft: 20, deadline: NOW + 20 * DAY });
    expect(freshnessWarning('app', past)).toBe(
      'app: runner 2.338.0 is behind actions/runner 2.339.0 (2.339.0 came out 2026-11-21); GitHub stops queueing jobs to it in 20 day(s): update the runner image',
    );
  });

  it("counts GitHub's 30 days from the release that followed the image, not from the latest", () => {
    // Two releases behind: 2.338.0 came 35 days ago, so GitHub has stopped already although
    // the latest is only 2 days old.
    const f = runnerFreshness(
      'v2.337.0',
      feedOf(['2.339.0', 2], ['2.338.0', 35], ['2.337.0', 80]),
      NOW,
    );
    expect(f).toMatchObject({ version: '2.337.0', outdated: true, daysLeft: 0 });
    expect(f?.successor?.version).toBe('2.338.0');
    expect(freshnessWarning('app', f)).toContain('GitHub no longer queues jobs to it');
  });

  it('compares versions by number, not as text', () => {
    expect(compareVersions('2.99.0', '2.100.0')).toBeLessThan(0);
    expect(compareVersions('2.338.1', '2.338.0')).toBeGreaterThan(0);
    expect(compareVersions('2.338.0', '2.338.0')).toBe(0);
  });
});

describe('RunnerReleases against the fake GitHub', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await startFakeGitHub();
  });
  afterEach(async () => {
    await fake.close();
    fake.assertClean();
  });

  const releasesOf = (url: string) =>
    new RunnerReleases({ url, fetch, log: pino({ level: 'silent' }), now: () => NOW });

  it('reads the latest and the list without a token, and asks again conditionally (304, no quota)', async () => {
    fake.publishRelease({
      repo: 'actions/runner',
      tagName: 'v2.337.0',
      publishedAt: NOW - 80 * DAY,
    });
    fake.publishRelease({
      repo: 'actions/runner',
      tagName: 'v2.338.0',
      publishedAt: NOW - 35 * DAY,
    });
    fake.publishRelease({
      repo: 'actions/runner',
      tagName: 'v2.339.0-rc.1',
      prerelease: true,
      publishedAt: NOW - 1 * DAY,
    });
    const releases = releasesOf(`${fake.apiUrl}/repos/actions/runner/releases/latest`);
    await releases.check();
    expect(releases.feed()).toMatchObject({
      latest: { version: '2.338.0', publishedAt: NOW - 35 * DAY },
      releases: [{ version: '2.338.0' }, { version: '2.337.0' }],
      checkedAt: NOW,
      error: undefined,
    });
    await releases.check();
    const asked = fake.requests().filter((r) => r.path.startsWith('/repos/actions/runner/'));
    expect(asked.map((r) => `${r.path} ${r.status}`)).toEqual([
      '/repos/actions/runner/releases/latest 200',
      '/repos/actions/runner/releases 200',
      '/repos/actions/runner/releases/latest 304',
      '/repos/actions/runner/releases 304',
    ]);
    // The token's quota is untouched: these were anonymous, and 304s cost nothing.
    expect(fake.rateLimit().used).toBe(0);

    fake.publishRelease({ repo: 'actions/runner', tagName: 'v2.339.0', publishedAt: NOW });
    await releases.check();
    expect(releases.feed().latest?.version).toBe('2.339.0');
  });

  it('keeps what it knew when a look fails', async () => {
    fake.publishRelease({ repo: 'actions/runner', tagName: 'v2.338.0', publishedAt: NOW - DAY });
    const releases = releasesOf(`${fake.apiUrl}/repos/actions/runner/releases/latest`);
    await releases.check();
    fake.failNext({ status: 503, match: /releases\/latest/ });
    await expect(releases.check()).rejects.toThrow(/503/);
    expect(releases.feed().latest?.version).toBe('2.338.0');
  });
});
