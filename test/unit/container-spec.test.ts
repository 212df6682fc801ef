import { describe, expect, it } from 'vitest';
import { dindContainer, runnerContainer } from '../../controller/src/runners/container-spec.ts';
import { runtimeSettings, type RunnerSpec } from '../../controller/src/runners/runtime.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';

const OPTIONS = { controllerId: 'ctl', engineId: 'local', socketGroup: undefined };

const specOf = (env: Record<string, string>): RunnerSpec => {
  const pool = testConfig({ GITHUB_URL: 'https://github.com/o/r', GITHUB_TOKEN: 't', ...env })
    .pools[0];
  if (!pool) throw new Error('no pool');
  return {
    name: 'runner-1',
    pool: runtimeSettings(pool),
    engineId: 'local',
    jitConfig: 'jit',
    jobId: 7,
  };
};
const sidecar = {
  sharedFolders: true,
  dataVolume: 'runner-1-docker',
  cacheVolume: undefined,
  cgroupVersion: '1',
};

describe('container specs', () => {
  it('give both containers a pids limit by default, and nothing else the engine would not', () => {
    const spec = specOf({ RUNNER_DOCKER_MODE: 'dind' });
    const dind = dindContainer(spec, OPTIONS, sidecar).HostConfig;
    const runner = runnerContainer(spec, OPTIONS, {
      mode: 'dind',
      sidecarId: 'sidecar-id',
      sharedFolders: true,
    }).HostConfig;
    expect(runner?.PidsLimit).toBe(2048);
    expect(dind?.PidsLimit).toBe(4096);
    for (const host of [runner, dind]) {
      expect(host?.Memory).toBeUndefined();
      expect(host?.NanoCpus).toBeUndefined();
      expect(host?.ShmSize).toBeUndefined();
    }
  });

  it('map every limit of a pool, with no swap beyond the memory limit', () => {
    const spec = specOf({
      RUNNER_DOCKER_MODE: 'none',
      RUNNER_CPUS: '1.5',
      RUNNER_MEMORY: '2g',
      RUNNER_PIDS_LIMIT: '100',
      RUNNER_SHM_SIZE: '256m',
      RUNNER_STOP_TIMEOUT_SECONDS: '30',
      RUNNER_CONTAINER_LABELS: 'team=ci,io.runner-autoscaler.controller=spoofed',
      RUNNER_NETWORK: 'builds',
    });
    const runner = runnerContainer(spec, OPTIONS, { mode: 'none' });
    expect(runner.HostConfig).toMatchObject({
      NanoCpus: 1.5e9,
      Memory: 2 * 2 ** 30,
      MemorySwap: 2 * 2 ** 30,
      PidsLimit: 100,
      ShmSize: 256 * 2 ** 20,
      NetworkMode: 'builds',
    });
    expect(runner.StopTimeout).toBe(30);
    // A pool's labels never replace the controller's own.
    expect(runner.Labels).toMatchObject({ team: 'ci', 'io.runner-autoscaler.controller': 'ctl' });
  });

  it('keep the job containers of a sidecar under its cgroup on cgroup v1 only', () => {
    const spec = specOf({ RUNNER_DOCKER_MODE: 'dind', DIND_REGISTRY_MIRROR: 'http://mirror:5000' });
    const v1 = dindContainer(spec, OPTIONS, sidecar);
    expect(v1.Cmd).toEqual(
      expect.arrayContaining(['--registry-mirror=http://mirror:5000', '--cgroup-parent=jobs']),
    );
    const v2 = dindContainer(spec, OPTIONS, { ...sidecar, cgroupVersion: '2' });
    expect(v2.Cmd?.some((arg) => arg.startsWith('--cgroup-parent'))).toBe(false);
  });

  it('run the sidecar privileged by default, or with the narrower set, and name its cache', () => {
    const privileged = dindContainer(specOf({}), OPTIONS, sidecar).HostConfig;
    expect(privileged).toMatchObject({ Privileged: true });
    expect(privileged?.CapAdd).toBeUndefined();
    const spec = specOf({ DIND_PRIVILEGED: 'false', DIND_CACHE_VOLUMES: '2' });
    const cached = dindContainer(spec, OPTIONS, {
      ...sidecar,
      dataVolume: 'c-0',
      cacheVolume: 'c-0',
    });
    expect(cached.HostConfig?.Privileged).toBeUndefined();
    expect(cached.HostConfig?.CapDrop).toEqual(['ALL']);
    expect(cached.HostConfig?.CapAdd).toEqual(expect.arrayContaining(['SYS_ADMIN', 'NET_ADMIN']));
    expect(cached.HostConfig?.CapAdd).not.toEqual(expect.arrayContaining(['SYS_MODULE']));
    expect(cached.HostConfig?.Binds).toContain('c-0:/var/lib/docker');
    // The runner's folders stay its own, never the pool's cache volume.
    expect(cached.HostConfig?.Binds).toEqual(
      expect.arrayContaining([
        'runner-1-work:/home/runner/_work',
        'runner-1-externals:/home/runner/externals:ro',
      ]),
    );
    expect(cached.Labels?.['io.runner-autoscaler.cache-volume']).toBe('c-0');
  });

  it("share the runner's work folder and its image's externals with the sidecar, at the same paths", () => {
    const spec = specOf({ RUNNER_DOCKER_MODE: 'dind' });
    const dind = dindContainer(spec, OPTIONS, sidecar);
    // `dockerd` first: docker:dind's entrypoint adds no listener of its own (tcp://0.0.0.0:2375).
    expect(dind.Cmd?.slice(0, 3)).toEqual([
      'dockerd',
      '--host=unix:///var/run/dind/docker.sock',
      '--host=unix:///var/run/docker.sock',
    ]);
    // Published ports on the loopback the runner shares, not on the sidecar's address.
    expect(dind.Cmd).toContain('--ip=127.0.0.1');
    expect(dind.HostConfig?.Binds).toEqual(
      expect.arrayContaining([
        'runner-1-work:/home/runner/_work',
        'runner-1-externals:/home/runner/externals:ro',
      ]),
    );
    const runner = runnerContainer(spec, OPTIONS, {
      mode: 'dind',
      sidecarId: 'sidecar-id',
      sharedFolders: true,
    });
    expect(runner.HostConfig?.Binds).toEqual([
      'runner-1-sock:/var/run/dind',
      'runner-1-work:/home/runner/_work',
      'runner-1-externals:/home/runner/externals',
    ]);
    expect(runner.HostConfig?.CgroupnsMode).toBe('private');
  });

  it('run a host-mode runner from its root volume, at the path the engine keeps it', () => {
    const rootPath = '/var/lib/docker/volumes/runner-1-root/_data';
    const runner = runnerContainer(specOf({ RUNNER_DOCKER_MODE: 'host' }), OPTIONS, {
      mode: 'host',
      rootPath,
    });
    expect(runner.HostConfig?.Binds).toEqual([
      'runner-1-root:/home/runner',
      `runner-1-root:${rootPath}`,
      '/var/run/docker.sock:/var/run/docker.sock',
    ]);
    expect(runner.Env).toContain(`RUNNER_ROOT=${rootPath}`);
    // Services publish their ports on the host: steps reach them on localhost.
    expect(runner.HostConfig?.NetworkMode).toBe('host');
    expect(runner.HostConfig?.CgroupnsMode).toBe('private');
    const onNetwork = runnerContainer(
      specOf({ RUNNER_DOCKER_MODE: 'host', RUNNER_NETWORK: 'builds' }),
      OPTIONS,
      { mode: 'host', rootPath },
    );
    expect(onNetwork.HostConfig?.NetworkMode).toBe('builds');
  });

  it('give a runner without Docker neither volumes nor a cgroup namespace of its own', () => {
    const runner = runnerContainer(specOf({ RUNNER_DOCKER_MODE: 'none' }), OPTIONS, {
      mode: 'none',
    });
    expect(runner.HostConfig?.Binds).toBeUndefined();
    expect(runner.HostConfig?.CgroupnsMode).toBeUndefined();
  });

  it('give a runner image of an earlier version, without its folders label, the old containers', () => {
    const spec = specOf({ RUNNER_DOCKER_MODE: 'dind' });
    const dind = dindContainer(spec, OPTIONS, { ...sidecar, sharedFolders: false });
    expect(dind.HostConfig?.Binds?.some((bind) => bind.includes('/home/runner'))).toBe(false);
    const runner = runnerContainer(spec, OPTIONS, {
      mode: 'dind',
      sidecarId: 'sidecar-id',
      sharedFolders: false,
    });
    expect(runner.HostConfig?.Binds).toEqual(['runner-1-sock:/var/run/dind']);
    const host = runnerContainer(specOf({ RUNNER_DOCKER_MODE: 'host' }), OPTIONS, {
      mode: 'host',
      rootPath: undefined,
    });
    expect(host.HostConfig?.Binds).toEqual(['/var/run/docker.sock:/var/run/docker.sock']);
    expect(host.Env?.some((env) => env.startsWith('RUNNER_ROOT='))).toBe(false);
  });
});
