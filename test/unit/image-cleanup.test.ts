import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cli,
  isProtectedTag,
  parseVersions,
  selectVersions,
  type PackageVersion,
} from '../../scripts/image-cleanup.js';
import { branchTags } from '../../scripts/image-tags.js';
import { seedPrTags, seedTransforms } from '../support/fixtures/seed-004.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
let nextId = 1;
/** A package version as GET .../packages/container/{name}/versions lists it. */
function version(tags: string[], ageDays: number, name = digest(nextId)): PackageVersion {
  const id = nextId++;
  return {
    id,
    name,
    created_at: daysAgo(ageDays),
    metadata: { container: { tags } },
  };
}
const options = { now: NOW, days: 14, keep: 5 };
const removed = (verdicts: { id: number; remove: boolean }[]) =>
  verdicts.filter((v) => v.remove).map((v) => v.id);

// The five newest images are kept whatever their tags: these young releases fill that quota in
// the tests that are about other rules.
const recentReleases = () => [1, 2, 3, 4, 5].map((n) => version([`1.0.${n}`], 1));

describe('cleanup selection: seed 004 branch and pull request images', () => {
  const branchImages = seedTransforms().map(({ branch, sha }) => branchTags(branch, sha));

  it('prunes branch images and pr-N-sha images older than the limit', () => {
    const old = [
      ...branchImages.map((tags) => version(tags, 30)),
      ...seedPrTags().map((t) => version([t], 20)),
    ];
    expect(old.flatMap((v) => v.metadata?.container?.tags)).toEqual([
      'feature-add-new-feature',
      'feature-add-new-feature-abc1234',
      'feature-dns-subdomain',
      'feature-dns-subdomain-def5678',
      'feature-fix-123',
      'feature-fix-123-ghi9012',
      'pr-123-abc1234',
      'pr-123-def5678',
    ]);
    const verdicts = selectVersions([...recentReleases(), ...old], options);
    expect(removed(verdicts).sort()).toEqual(old.map((v) => v.id).sort());
    expect(verdicts.find((v) => v.id === old[0]?.id)?.reason).toBe('transient tags only');
  });

  it('keeps them while they are younger than the limit', () => {
    const young = [
      ...branchImages.map((tags) => version(tags, 13)),
      ...seedPrTags().map((t) => version([t], 2)),
    ];
    expect(removed(selectVersions([...recentReleases(), ...young], options))).toEqual([]);
  });
});

describe('cleanup selection', () => {
  it('keeps every release tag, runner release and latest, however old', () => {
    const kept = [
      version(['1.2.3', '1.2', '1'], 400),
      version(['0.4.1', '0.4'], 400),
      version(['2.0.0-rc.1'], 400),
      version(['runner-2.330.0'], 400),
      version(['sha-0123456', 'main', 'latest', '20260101'], 400),
    ];
    const transient = version(['sha-89abcde', 'main-89abcde', '20251001'], 400);
    const verdicts = selectVersions([...recentReleases(), ...kept, transient], options);
    expect(removed(verdicts)).toEqual([transient.id]);
  });

  it('keeps the newest five images, even transient and old ones', () => {
    const images = [10, 20, 30, 40, 50, 60, 70].map((age) => version([`pr-${age}-abcdef0`], age));
    const verdicts = selectVersions(images, options);
    expect(removed(verdicts)).toEqual([images[5]?.id, images[6]?.id]);
    expect(verdicts.filter((v) => v.reason === 'among the newest 5')).toHaveLength(5);
  });

  it('deletes untagged versions after the limit, and only then', () => {
    const old = version([], 15);
    const young = version([], 3);
    expect(removed(selectVersions([...recentReleases(), old, young], options))).toEqual([old.id]);
  });

  it("keeps a kept image's platform manifests and attestations; removes a removed image's", () => {
    const [amd64, arm64, attestation, prAmd64] = [900, 901, 902, 903].map(digest);
    const release = version(['1.2.3'], 100);
    const pr = version(['pr-7-abcdef0'], 100);
    const parts = [
      version([], 100, amd64),
      version([], 100, arm64),
      version([], 100, attestation),
      version([], 100, prAmd64),
    ];
    const children = {
      [release.name]: [amd64 ?? '', arm64 ?? '', attestation ?? ''],
      [pr.name]: [prAmd64 ?? ''],
    };
    const verdicts = selectVersions([...recentReleases(), release, pr, ...parts], {
      ...options,
      children,
    });
    expect(removed(verdicts).sort()).toEqual([pr.id, parts[3]?.id].sort());
    expect(verdicts.find((v) => v.digest === amd64)?.reason).toBe('part of a kept image');
  });

  it("keeps cosign's signature and attestations of a kept digest, removes those of a removed one", () => {
    const release = version(['1.2.3'], 100);
    const pr = version(['pr-7-abcdef0'], 100);
    const hex = (v: PackageVersion) => v.name.slice('sha256:'.length);
    const keptSig = version([`sha256-${hex(release)}.sig`], 100);
    const keptAtt = version([`sha256-${hex(release)}.att`], 100);
    const referrers = version([`sha256-${hex(release)}`], 100);
    const goneSig = version([`sha256-${hex(pr)}.sig`], 100);
    const verdicts = selectVersions(
      [...recentReleases(), release, pr, keptSig, keptAtt, referrers, goneSig],
      options,
    );
    expect(removed(verdicts).sort()).toEqual([pr.id, goneSig.id].sort());
  });

  it('recognises release tags, and nothing else, as protected', () => {
    for (const tag of ['latest', '1.2.3', '1.2', '1', 'v1.2.3', '1.2.3-rc.1', 'runner-2.330.0'])
      expect(isProtectedTag(tag)).toBe(true);
    for (const tag of ['main', 'sha-0123456', 'pr-1-0123456', '20260304', 'feature-x', 'runner-x'])
      expect(isProtectedTag(tag)).toBe(false);
  });

  it('never removes a protected or young version, and always leaves the newest images', () => {
    const tag = fc.constantFrom(
      '1.2.3',
      'latest',
      'pr-1-abcdef0',
      'feature-x',
      'sha-0123456',
      'main',
    );
    const versions = fc.array(
      fc.record({
        tags: fc.uniqueArray(tag, { maxLength: 3 }),
        age: fc.integer({ min: 0, max: 60 }),
      }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(versions, fc.integer({ min: 0, max: 8 }), (list, keep) => {
        const all = list.map(({ tags, age }) => version(tags, age));
        const verdicts = selectVersions(all, { now: NOW, days: 14, keep });
        const byId = new Map(all.map((v) => [v.id, v]));
        for (const v of verdicts.filter((verdict) => verdict.remove)) {
          expect(v.tags.some(isProtectedTag)).toBe(false);
          expect(Date.parse(byId.get(v.id)?.created_at ?? '')).toBeLessThan(
            NOW.getTime() - 14 * 86_400_000,
          );
        }
        const images = all.filter((v) => (v.metadata?.container?.tags ?? []).length > 0);
        const keptImages = verdicts.filter((v) => !v.remove && v.tags.length > 0);
        expect(keptImages.length).toBeGreaterThanOrEqual(Math.min(keep, images.length));
      }),
      { numRuns: 300 },
    );
  });
});

describe('cleanup command line', () => {
  it('reads the API listing (also as gh --slurp pages) and prints the ids to delete', () => {
    const dir = mkdtempSync(join(tmpdir(), 'image-cleanup-'));
    try {
      const list = [...recentReleases(), version(['pr-9-abcdef0'], 30), version([], 30)];
      const file = join(dir, 'versions.json');
      writeFileSync(file, JSON.stringify([list.slice(0, 3), list.slice(3)]));
      const out = execFileSync(
        process.execPath,
        [
          'scripts/image-cleanup.js',
          '--versions',
          file,
          '--days',
          '14',
          '--keep',
          '5',
          '--now',
          NOW.toISOString(),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      expect(out.endsWith('\n')).toBe(true);
      expect(out.trim().split('\n').sort()).toEqual([`${list[5]?.id}`, `${list[6]?.id}`].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a package version list, and unknown options', () => {
    expect(() => parseVersions('{"id": 1}')).toThrow(/expected a JSON array/);
    expect(() => parseVersions('[{"id": "x"}]')).toThrow(/not a package version/);
    expect(() => cli(['--version', 'x'], () => '[]')).toThrow(/unknown option --version/);
    expect(() => cli(['--versions', 'f', '--days', '-1'], () => '[]')).toThrow(/--days/);
  });
});
