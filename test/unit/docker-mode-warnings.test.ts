import { describe, expect, it } from 'vitest';
import { testConfig } from '../support/fixtures/config-fixtures.ts';

// Issue 16: settings that start but cannot do what they promise are said at start.
const ENV = { GITHUB_URL: 'https://github.com/o/r', GITHUB_TOKEN: 't' };
const engines = (endpoint: string) =>
  JSON.stringify([{ name: 'other', endpoint, capacity: 2, platforms: ['linux/amd64'] }]);

describe('start warnings of a pool’s Docker mode', () => {
  it('name a host-mode pool on an engine whose socket is not the host’s /var/run/docker.sock', () => {
    const local = testConfig({ ...ENV, RUNNER_DOCKER_MODE: 'host' });
    expect(local.warnings).toEqual([]);
    const rootless = testConfig({
      ...ENV,
      RUNNER_DOCKER_MODE: 'host',
      DOCKER_ENGINES: engines('unix:///run/user/1000/docker.sock'),
    });
    expect(rootless.warnings).toEqual([
      expect.stringMatching(
        /^pool o-r: host mode on engine other: its socket is \/run\/user\/1000\/docker.sock, not \/var\/run\/docker.sock/,
      ),
    ]);
    const remote = testConfig({
      ...ENV,
      RUNNER_DOCKER_MODE: 'host',
      DOCKER_ENGINES: engines('tcp://10.0.0.5:2375'),
    });
    expect(remote.warnings).toEqual([
      expect.stringContaining('pool o-r: host mode on engine other: it is reached over TCP'),
    ]);
    // dind on the same engines is fine.
    expect(
      testConfig({
        ...ENV,
        RUNNER_DOCKER_MODE: 'dind',
        DOCKER_ENGINES: engines('tcp://10.0.0.5:2375'),
      }).warnings,
    ).toEqual([]);
  });

  it('name a host-mode pool on a network of its own, and runsc with Docker', () => {
    expect(
      testConfig({ ...ENV, RUNNER_DOCKER_MODE: 'host', RUNNER_NETWORK: 'builds' }).warnings,
    ).toEqual([expect.stringContaining('not at localhost')]);
    expect(
      testConfig({ ...ENV, RUNNER_DOCKER_MODE: 'host', RUNNER_NETWORK: 'host' }).warnings,
    ).toEqual([]);
    expect(
      testConfig({ ...ENV, RUNNER_DOCKER_MODE: 'dind', RUNNER_RUNTIME: 'runsc' }).warnings,
    ).toEqual([expect.stringContaining('a runner under gVisor cannot use a Docker socket')]);
    expect(
      testConfig({ ...ENV, RUNNER_DOCKER_MODE: 'none', RUNNER_RUNTIME: 'runsc' }).warnings,
    ).toEqual([]);
  });
});
