import { describe, expect, it } from 'vitest';
import { BUILD_LABEL, builtHere } from '../../controller/src/runners/image-origin.ts';

// Review of issue 19: RUNNER_PULL_POLICY=auto took an image without RepoDigests for one built
// here. On Docker's containerd image store (fresh Docker 29 installs) a local build has
// RepoDigests too (moby/moby#45122, #48747), so `auto` pulled over a user's own build.
const DIGEST = `ghcr.io/runner-autoscaler/runner-autoscaler-runner@sha256:${'a'.repeat(64)}`;

describe('builtHere: whether RUNNER_PULL_POLICY=auto leaves an image alone', () => {
  it.each([
    [
      'a build of docker-compose.build.yml on the containerd store',
      { [BUILD_LABEL]: 'local' },
      [DIGEST],
      true,
    ],
    [
      'a build of docker-compose.build.yml on the classic store',
      { [BUILD_LABEL]: 'local' },
      [],
      true,
    ],
    ['any build on the classic store (no registry digest)', {}, [], true],
    ['an image inspected with RepoDigests null', {}, null, true],
    ['a pulled image', { 'org.opencontainers.image.version': '2.330.0' }, [DIGEST], false],
    ['a label of another value', { [BUILD_LABEL]: 'ci' }, [DIGEST], false],
  ] as const)('%s', (_case, labels, repoDigests, expected) => {
    expect(builtHere({ labels, repoDigests })).toBe(expected);
  });
});
