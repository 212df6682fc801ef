import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionlint } from '../support/harness/actionlint.ts';

/** expect's string matcher, typed for use inside object literals. */
const text = (pattern: string | RegExp): unknown =>
  typeof pattern === 'string' ? expect.stringContaining(pattern) : expect.stringMatching(pattern);

// .github/workflows: every file through actionlint (WebAssembly, offline: test/support/harness/actionlint.ts),
// which checks expressions, contexts, action inputs and job structure, and then what this
// project requires of its workflows on top.

type Step = {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
};
type Job = {
  'runs-on'?: unknown;
  env?: Record<string, string>;
  permissions?: unknown;
  steps?: Step[];
  strategy?: { matrix?: { include?: Record<string, string>[] } };
};
type Workflow = {
  on?: unknown;
  permissions?: Record<string, string>;
  concurrency?: { group?: string; 'cancel-in-progress'?: unknown };
  jobs?: Record<string, Job>;
};

const dir = join(import.meta.dirname, '../../.github/workflows');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const raw = Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
const workflows = Object.fromEntries(
  files.map((f) => [f, parse(raw[f] ?? '', { strict: true, uniqueKeys: true }) as Workflow]),
);
const wf = (name: string): Workflow => {
  const w = workflows[name];
  if (!w) throw new Error(`missing workflow ${name}`);
  return w;
};
const steps = (w: Workflow): Step[] => Object.values(w.jobs ?? {}).flatMap((j) => j.steps ?? []);
const buildSteps = (w: Workflow): Step[] =>
  steps(w).filter((s) => s.uses?.startsWith('docker/build-push-action@'));

describe('workflows', () => {
  it('are the expected files', () => {
    expect(files.sort()).toEqual(['ci.yml', 'cleanup.yml', 'publish.yml', 'runner-sync.yml']);
  });

  it('actionlint catches what structural checks miss: a misspelt context property', async () => {
    const bad = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo "$X"',
      '        env:',
      '          X: ${{ github.evnt.x }}',
      '',
    ].join('\n');
    const findings = await actionlint(bad, 'bad.yml');
    expect(findings).toEqual([
      expect.objectContaining({
        line: 8,
        kind: 'expression',
        message: text('property "evnt" is not defined'),
      }),
    ]);
    // the same workflow spelt right is clean
    expect(await actionlint(bad.replace('evnt', 'event'), 'good.yml')).toEqual([]);
  });

  describe.each(files)('%s', (file) => {
    const w = wf(file);

    it('passes actionlint', async () => {
      expect(await actionlint(raw[file] ?? '', `.github/workflows/${file}`)).toEqual([]);
    });

    it('has on, jobs, explicit least permissions and a concurrency group', () => {
      expect(w.on).toBeTruthy();
      expect(Object.keys(w.jobs ?? {}).length).toBeGreaterThan(0);
      expect(w.permissions).toEqual({ contents: 'read' });
      expect(w.concurrency?.group).toMatch(/\S/);
      expect(w.concurrency).toHaveProperty('cancel-in-progress');
      for (const job of Object.values(w.jobs ?? {})) {
        expect(job['runs-on']).toBe('ubuntu-latest');
        if (job.permissions !== undefined) {
          const perms = job.permissions as Record<string, string>;
          for (const [scope, level] of Object.entries(perms)) {
            expect(`${scope}: ${level}`).toMatch(
              /^(contents: read|packages: write|id-token: write)$/,
            );
          }
        }
      }
    });

    it('pins every action to a version tag or a commit', () => {
      const uses = steps(w).flatMap((s) => (s.uses ? [s.uses] : []));
      expect(uses.length).toBeGreaterThan(0);
      for (const u of uses) {
        expect(u).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
        expect(u).not.toMatch(/@(main|master|latest)$/);
      }
    });

    it('names images in lowercase only', () => {
      for (const m of (raw[file] ?? '').matchAll(/ghcr\.io\/[^\s'"]*/g)) {
        const literal = m[0].replace(/\$\{\{[^}]*\}\}/g, '').replace(/\$\{[A-Z_]+(,,)?\}/g, '');
        expect(literal).toBe(literal.toLowerCase());
        // the owner comes from the context and is always lowercased (bash ${OWNER,,});
        // IMAGE_NAME is runner-autoscaler-<matrix name>, checked under publish
        expect(m[0]).not.toMatch(/ghcr\.io\/\$\{\{/);
        expect(m[0]).not.toMatch(/\$\{OWNER\}/);
      }
    });

    it('keeps workflow expressions out of run scripts (passed through env instead)', () => {
      for (const s of steps(w)) {
        if (s.run) expect(s.run).not.toMatch(/\$\{\{/);
      }
    });
  });

  it('ci runs .ci/run as root with the Node that setup-node installed, cancelling stale runs', () => {
    const w = wf('ci.yml');
    expect(w.on).toHaveProperty('push');
    expect(w.on).toHaveProperty('pull_request');
    expect(w.concurrency?.group).toContain('github.ref');
    expect(w.concurrency?.['cancel-in-progress']).toBe(true);
    expect(
      steps(w)
        .map((s) => s.run)
        .filter(Boolean),
    ).toEqual(['sudo -E env "PATH=$PATH" bash .ci/run']);
  });

  describe('publish', () => {
    const w = wf('publish.yml');
    const job = Object.values(w.jobs ?? {})[0];
    const matrix = job?.strategy?.matrix?.include ?? [];

    it('builds exactly the three Dockerfiles, each with its context', () => {
      expect(matrix).toEqual([
        { name: 'controller', dockerfile: 'controller/Dockerfile', context: '.' },
        { name: 'runner', dockerfile: 'runner-image/Dockerfile', context: 'runner-image' },
        { name: 'nginx', dockerfile: 'nginx/Dockerfile', context: 'nginx' },
      ]);
      for (const m of matrix) {
        expect(
          readFileSync(join(import.meta.dirname, '../..', m.dockerfile ?? ''), 'utf8'),
        ).toMatch(/^FROM /m);
      }
    });

    it('builds for both platforms with GHA cache per image, provenance and SBOM', () => {
      const builds = buildSteps(w);
      expect(builds.length).toBeGreaterThanOrEqual(1);
      for (const b of builds) {
        expect(b.with).toMatchObject({
          file: '${{ matrix.dockerfile }}',
          context: '${{ matrix.context }}',
          platforms: 'linux/amd64,linux/arm64',
          'cache-from': 'type=gha,scope=${{ matrix.name }}',
          'cache-to': 'type=gha,mode=max,scope=${{ matrix.name }}',
          provenance: true,
          sbom: true,
        });
      }
      // retries: every attempt after the first runs only when the one before failed
      expect(builds.slice(1).every((b) => /outcome == 'failure'/.test(b.if ?? ''))).toBe(true);
      const uses = steps(w).map((s) => s.uses ?? '');
      for (const a of [
        'docker/setup-qemu-action@',
        'docker/setup-buildx-action@',
        'docker/login-action@',
      ]) {
        expect(uses.some((u) => u.startsWith(a))).toBe(true);
      }
    });

    it('takes its tags from scripts/image-tags.js and the prefix from scripts/image-prefix.js', () => {
      const text = raw['publish.yml'] ?? '';
      expect(text).toContain('node scripts/image-tags.js');
      expect(text).toContain('prefix="$(node scripts/image-prefix.js --registry "$REGISTRY_KIND"');
      expect(text).toContain('image="${prefix}-${COMPONENT}"');
      expect(text).toContain('--runner-version "$RUNNER_VERSION"');
      expect(job?.env).toMatchObject({ REGISTRY_KIND: "${{ vars.IMAGE_REGISTRY || 'ghcr' }}" });
      for (const b of buildSteps(w)) {
        expect(String(b.with?.['build-args'])).toContain(
          'VERSION=${{ steps.meta.outputs.version }}',
        );
        expect(String(b.with?.['build-args'])).toContain('REVISION=');
      }
    });

    it('logs in to the registry IMAGE_REGISTRY chooses: GHCR, Docker Hub or ECR', () => {
      const ifs = steps(w)
        .filter((s) => /login|aws-credentials/.test(s.uses ?? ''))
        .map((s) => s.if);
      for (const kind of ['ghcr', 'dockerhub', 'ecr'])
        expect(ifs.some((c) => c?.includes(`env.REGISTRY_KIND == '${kind}'`))).toBe(true);
    });

    it('signs the pushed digest and attests its SBOM and provenance before tagging it further', () => {
      const names = steps(w).map((s) => s.name ?? s.uses ?? '');
      const sign = steps(w).find((s) => s.name === 'Sign and attest (cosign)');
      expect(steps(w).some((s) => s.uses?.startsWith('sigstore/cosign-installer@'))).toBe(true);
      expect(sign?.run).toContain('cosign sign --yes "$REF"');
      expect(sign?.run).toContain('cosign attest --yes --type spdxjson');
      expect(sign?.run).toContain('cosign attest --yes --type slsaprovenance02');
      expect(names.indexOf('Scan (Trivy)')).toBeLessThan(names.indexOf('Sign and attest (cosign)'));
      expect(names.indexOf('Sign and attest (cosign)')).toBeLessThan(
        names.indexOf('Add the other tags'),
      );
      expect(job?.permissions).toEqual({
        contents: 'read',
        packages: 'write',
        'id-token': 'write',
      });
    });

    it('pushes pull requests only from this repository, and scans on CRITICAL', () => {
      const text = raw['publish.yml'] ?? '';
      expect(text).toContain('github.event.pull_request.head.repo.full_name == github.repository');
      for (const b of buildSteps(w)) expect(b.with?.push).toBe("${{ env.PUSH == 'true' }}");
      const trivy = steps(w).find((s) => s.uses?.startsWith('aquasecurity/trivy-action@'));
      expect(trivy?.with).toMatchObject({ severity: 'CRITICAL', 'exit-code': '1' });
    });
  });

  describe('runner-sync', () => {
    const w = wf('runner-sync.yml');

    it('runs daily and by hand, one at a time', () => {
      expect(w.on).toHaveProperty('schedule');
      expect(w.on).toHaveProperty('workflow_dispatch');
      expect(w.concurrency).toEqual({ group: 'runner-sync', 'cancel-in-progress': false });
    });

    it('builds the runner image with RUNNER_VERSION for both platforms when it is missing', () => {
      const text = raw['runner-sync.yml'] ?? '';
      expect(text).toContain('gh api repos/actions/runner/releases/latest');
      expect(text).toContain('docker manifest inspect');
      // the same runner-<version> tag publish.yml gives default-branch builds (image-tags.js)
      expect(text).toContain('echo "$image:runner-$version"');
      expect(text).toContain(':runner-${{ steps.version.outputs.version }}');
      expect(text).toContain('cosign sign --yes "$REF"');
      expect(text).toContain('ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE');
      // The release notes' SHA-256 must match the asset digest; there is no unchecked build.
      expect(text).toContain('select(.name == $name) | .digest');
      expect(text).not.toContain('building without the checksum check');
      const builds = buildSteps(w);
      expect(builds.length).toBeGreaterThanOrEqual(1);
      for (const b of builds) {
        expect(b.with).toMatchObject({
          context: 'runner-image',
          file: 'runner-image/Dockerfile',
          platforms: 'linux/amd64,linux/arm64',
          push: true,
          provenance: true,
          sbom: true,
        });
        expect(String(b.with?.['build-args'])).toContain(
          'RUNNER_VERSION=${{ steps.version.outputs.version }}',
        );
        expect(String(b.with?.tags)).toBe('${{ steps.version.outputs.tags }}');
        // Scheduled builds are verified too: the checksums it resolved go to the Dockerfile.
        expect(String(b.with?.['build-args'])).toContain(
          'RUNNER_SHA256_X64=${{ steps.version.outputs.sha256-x64 }}',
        );
        expect(String(b.with?.['build-args'])).toContain(
          'RUNNER_SHA256_ARM64=${{ steps.version.outputs.sha256-arm64 }}',
        );
        expect(b.if).toMatch(
          /steps\.(check\.outputs\.build == 'true'|build\d\.outcome == 'failure')/,
        );
      }
    });
  });

  describe('cleanup', () => {
    const w = wf('cleanup.yml');
    const job = Object.values(w.jobs ?? {})[0];
    const text = raw['cleanup.yml'] ?? '';

    it('runs weekly and by hand (a dry run unless told otherwise), one at a time', () => {
      expect(w.on).toHaveProperty('schedule');
      expect(w.on).toMatchObject({
        workflow_dispatch: { inputs: { 'dry-run': { type: 'boolean', default: true } } },
      });
      expect(w.concurrency).toEqual({ group: 'cleanup', 'cancel-in-progress': false });
    });

    it('selects with scripts/image-cleanup.js from the packages API, for each of the three images', () => {
      expect(job?.strategy?.matrix).toEqual({ image: ['controller', 'runner', 'nginx'] });
      expect(text).toContain('gh api --paginate "/$scope/packages/container/$PACKAGE/versions"');
      expect(text).toContain('node scripts/image-cleanup.js --versions');
      expect(text).toContain('--children "$RUNNER_TEMP/children.json" --days "$DAYS" --keep 5');
      expect(text).toContain('docker buildx imagetools inspect --raw');
      expect(text).toContain(
        'gh api --method DELETE "/$scope/packages/container/$PACKAGE/versions/$id"',
      );
      expect(job?.permissions).toEqual({ contents: 'read', packages: 'write' });
    });
  });
});
