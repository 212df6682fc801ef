import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DOCKER_TAG,
  branchTags,
  cli,
  computeTags,
  imageRefs,
  sanitizeRefName,
  runnerTag,
  versionTags,
} from '../../scripts/image-tags.js';
import { SEED_CHECKLIST, seedTransforms } from '../support/fixtures/seed-004.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const DATE = '2026-03-04T05:06:07Z';

// Seed 004's vectors (test/support/fixtures/seed-004.ts). `ghi9012` is not hexadecimal, so that vector
// goes through branchTags() rather than a full commit hash.
const vectors = seedTransforms();

describe('branch tags: seed 004 vectors', () => {
  it('has the three example transforms', () => {
    expect(vectors).toHaveLength(3);
  });

  it.each(vectors)('$branch → $expected', ({ branch, expected, sha }) => {
    expect(branchTags(branch, sha)[1]).toBe(expected);
    if (/^[0-9a-f]{7}$/.test(sha)) {
      const tags = computeTags({ eventName: 'push', ref: `refs/heads/${branch}`, sha });
      expect(tags).toContain(expected);
      expect(tags).toContain(expected.slice(0, -8));
      expect(tags).not.toContain('latest');
    }
  });

  it.each(SEED_CHECKLIST)('%s → %s', (branch, pattern) => {
    const tags = computeTags({ eventName: 'push', ref: `refs/heads/${branch}`, sha: SHA });
    expect(tags).toContain(pattern.replace('{sha}', SHA.slice(0, 7)));
  });
});

describe('sanitizeRefName', () => {
  it.each([
    ['Feature//Double--Dash', 'feature-double-dash'],
    ['--.lead.and.trail.--', 'lead.and.trail'],
    ['a..b', 'a.b'],
    ['release/1.2', 'release-1.2'],
    ['dependabot/npm_and_yarn/vitest-4.1.12', 'dependabot-npm-and-yarn-vitest-4.1.12'],
    ['ünïcödé/ブランチ', 'n-c-d'],
    ['///', ''],
  ])('%s → %s', (name, expected) => {
    expect(sanitizeRefName(name)).toBe(expected);
  });

  it('keeps at most 128 characters and never ends on - or .', () => {
    const long = `${'a'.repeat(127)}-${'b'.repeat(50)}`;
    expect(sanitizeRefName(long)).toBe('a'.repeat(127));
    const [moving, immutable] = branchTags(`feature/${'x'.repeat(200)}`, 'abc1234');
    expect(moving).toHaveLength(128);
    expect(immutable).toHaveLength(128);
    expect(immutable).toMatch(/^feature-x+-abc1234$/);
  });

  it('prefixes branch names that would pass for another kind of tag', () => {
    for (const [branch, tag] of [
      ['latest', 'branch-latest'],
      ['LATEST', 'branch-latest'],
      ['sha-deadbee', 'branch-sha-deadbee'],
      ['pr-12-abc', 'branch-pr-12-abc'],
      ['v1.2.3', 'branch-v1.2.3'],
      ['1.2', 'branch-1.2'],
      ['20260304', 'branch-20260304'],
      ['runner-2.330.0', 'branch-runner-2.330.0'],
      ['runner/2.330.0', 'branch-runner-2.330.0'],
    ] as const) {
      expect(branchTags(branch, 'abc1234')).toEqual([tag, `${tag}-abc1234`]);
    }
    expect(branchTags('latest-fixes', 'abc1234')[0]).toBe('latest-fixes');
    expect(branchTags('prometheus', 'abc1234')[0]).toBe('prometheus');
  });
});

describe('computeTags', () => {
  it('default branch: immutable sha tag first, then branch, latest and the UTC date', () => {
    expect(
      computeTags({ eventName: 'push', ref: 'refs/heads/main', sha: SHA, date: DATE }),
    ).toEqual(['sha-0123456', 'main', 'main-0123456', 'latest', '20260304']);
  });

  it('runner image: runner-<actions/runner release> on the default branch only', () => {
    const main = { eventName: 'push', ref: 'refs/heads/main', sha: SHA, date: DATE };
    expect(computeTags({ ...main, runnerVersion: '2.330.0' })).toEqual([
      'sha-0123456',
      'main',
      'main-0123456',
      'latest',
      '20260304',
      'runner-2.330.0',
    ]);
    expect(
      computeTags({ ...main, ref: 'refs/heads/feature/x', runnerVersion: '2.330.0' }),
    ).not.toContain('runner-2.330.0');
    expect(computeTags({ ...main, ref: 'refs/tags/v1.2.3', runnerVersion: '2.330.0' })).toEqual([
      'sha-0123456',
      '1.2.3',
      '1.2',
      '1',
    ]);
    expect(runnerTag('v2.331.0')).toBe('runner-2.331.0');
    expect(() => runnerTag('latest')).toThrow(/runnerVersion/);
  });

  it('honours another default branch name', () => {
    const tags = computeTags({
      eventName: 'workflow_dispatch',
      ref: 'refs/heads/trunk',
      sha: SHA,
      defaultBranch: 'trunk',
      date: new Date(DATE),
    });
    expect(tags).toContain('latest');
    expect(
      computeTags({ eventName: 'push', ref: 'refs/heads/main', sha: SHA, defaultBranch: 'trunk' }),
    ).not.toContain('latest');
  });

  it('pull request: only the immutable pr-N-sha tag', () => {
    expect(
      computeTags({ eventName: 'pull_request', ref: 'refs/pull/42/merge', sha: SHA, prNumber: 42 }),
    ).toEqual(['pr-42-0123456']);
  });

  it('release tag: full, minor and major version, never latest', () => {
    expect(computeTags({ eventName: 'push', ref: 'refs/tags/v1.2.3', sha: SHA })).toEqual([
      'sha-0123456',
      '1.2.3',
      '1.2',
      '1',
    ]);
  });

  it.each([
    ['v1.2.3', ['1.2.3', '1.2', '1']],
    ['1.2.3', ['1.2.3', '1.2', '1']],
    ['v10.0.7', ['10.0.7', '10.0', '10']],
    ['v0.4.1', ['0.4.1', '0.4']],
    ['v1.2.3-rc.1', ['1.2.3-rc.1']],
    ['v2.0.0-beta', ['2.0.0-beta']],
    ['v1.2.3+build.5', ['1.2.3-build.5']],
    ['v1.2', ['v1.2']],
    ['Nightly/Build', ['nightly-build']],
  ])('version tags of %s', (name, expected) => {
    expect(versionTags(name)).toEqual(expected);
  });

  it('rejects what it cannot tag', () => {
    expect(() =>
      computeTags({ eventName: 'push', ref: 'refs/heads/main', sha: 'nothex!' }),
    ).toThrow(/sha/);
    expect(() =>
      computeTags({ eventName: 'pull_request', ref: 'refs/pull/1/merge', sha: SHA }),
    ).toThrow(/prNumber/);
    expect(() => computeTags({ eventName: 'issues', ref: 'refs/heads/main', sha: SHA })).toThrow(
      /event/,
    );
    expect(() => computeTags({ eventName: 'push', ref: 'refs/notes/x', sha: SHA })).toThrow(/ref/);
  });

  it('lowercases the image name and rejects what is not one', () => {
    expect(
      imageRefs({
        image: 'ghcr.io/My-Org/runner-autoscaler-runner',
        eventName: 'pull_request',
        ref: 'refs/pull/7/merge',
        sha: SHA.toUpperCase(),
        prNumber: '7',
      }),
    ).toEqual(['ghcr.io/my-org/runner-autoscaler-runner:pr-7-0123456']);
    expect(() =>
      imageRefs({
        image: 'ghcr.io/owner/bad name',
        eventName: 'push',
        ref: 'refs/heads/main',
        sha: SHA,
      }),
    ).toThrow(/image/);
  });
});

describe('every tag is a valid Docker tag', () => {
  const refName = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc
      .array(fc.constantFrom('a', 'Z', '0', '/', '_', '-', '.', '#', '@', ' ', '~', 'é'), {
        maxLength: 200,
      })
      .map((chars) => chars.join('')),
  );
  const sha = fc.stringMatching(/^[0-9a-f]{40}$/);

  it('for any branch, tag, pull request and date', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('push', 'workflow_dispatch', 'schedule', 'pull_request'),
        fc.constantFrom('refs/heads/', 'refs/tags/'),
        refName,
        sha,
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2199-12-31'), noInvalidDate: true }),
        (eventName, prefix, name, commit, pr, date) => {
          const tags = computeTags({
            eventName,
            ref: `${prefix}${name}`,
            sha: commit,
            prNumber: pr,
            date,
            defaultBranch: name,
          });
          expect(tags.length).toBeGreaterThan(0);
          for (const tag of tags) expect(tag).toMatch(DOCKER_TAG);
          // the first tag names this exact commit
          expect(tags[0]).toBe(
            eventName === 'pull_request'
              ? `pr-${pr}-${commit.slice(0, 7)}`
              : `sha-${commit.slice(0, 7)}`,
          );
          if (eventName === 'pull_request' || prefix === 'refs/tags/') {
            expect(tags).not.toContain('latest');
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('latest only from the default branch', () => {
    fc.assert(
      fc.property(refName, (branch) => {
        fc.pre(branch !== 'main');
        const tags = computeTags({ eventName: 'push', ref: `refs/heads/${branch}`, sha: SHA });
        expect(tags).not.toContain('latest');
      }),
    );
  });
});

describe('command line', () => {
  const args = [
    '--image',
    'ghcr.io/Owner/runner-autoscaler-nginx',
    '--event',
    'push',
    '--ref',
    'refs/heads/main',
    '--sha',
    SHA,
    '--default-branch',
    'main',
    '--date',
    DATE,
  ];

  it('prints the references one per line, as imageRefs returns them', () => {
    const out = execFileSync(process.execPath, ['scripts/image-tags.js', ...args], {
      encoding: 'utf8',
    });
    expect(out).toBe(
      [
        'ghcr.io/owner/runner-autoscaler-nginx:sha-0123456',
        'ghcr.io/owner/runner-autoscaler-nginx:main',
        'ghcr.io/owner/runner-autoscaler-nginx:main-0123456',
        'ghcr.io/owner/runner-autoscaler-nginx:latest',
        'ghcr.io/owner/runner-autoscaler-nginx:20260304',
        '',
      ].join('\n'),
    );
    expect(cli([...args, '--tags-only'])).toEqual([
      'sha-0123456',
      'main',
      'main-0123456',
      'latest',
      '20260304',
    ]);
  });

  it('exits 2 with the reason on bad input', () => {
    let status: number | null = null;
    let stderr = '';
    try {
      execFileSync(
        process.execPath,
        ['scripts/image-tags.js', '--event', 'push', '--tags-only', '--sha', 'x'],
        {
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    } catch (err) {
      const e = err as { status: number; stderr: string };
      status = e.status;
      stderr = e.stderr;
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/^image-tags: sha: not a commit hash/);
  });

  it('rejects unknown options', () => {
    expect(() => cli(['--tag', 'x'])).toThrow(/unknown option --tag/);
  });
});
