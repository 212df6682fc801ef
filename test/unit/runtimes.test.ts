import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../controller/src/config/load-config.ts';
import { healthReport } from '../../controller/src/status/health-report.ts';
import type { StatusModel } from '../../controller/src/status/status-model.ts';
import {
  canRun,
  place,
  unplaceable,
  type EngineRoom,
} from '../../controller/src/domain/placement.ts';
import { plan, type PoolDemand } from '../../controller/src/reconcile/plan.ts';
import { NO_WAITS } from '../../controller/src/reconcile/wait-types.ts';
import {
  describeLack,
  runtimeLacks,
  runtimeStranded,
} from '../../controller/src/domain/runtime-refusals.ts';
import { formatLine } from '../../controller/src/preflight/check-line.ts';
import { runtimeChecks } from '../../controller/src/preflight/runtime-checks.ts';
import { dindContainer, runnerContainer } from '../../controller/src/runners/container-spec.ts';
import { runtimeSettings, type EngineStatus } from '../../controller/src/runners/runtime.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';

const ENV = { GITHUB_URL: 'https://github.com/o/r', GITHUB_TOKEN: 't' };
const repos = (content: unknown) =>
  loadConfig({
    env: { REPOS_CONFIG_FILE: '/repos.json' },
    readFile: () => JSON.stringify(content),
  });
const entry = { id: 'app', github_url: 'https://github.com/o/app', github_token: 't' };

describe('runner_runtime and dind_runtime', () => {
  it('are read from the environment, defaults, entries and pools, the sidecar in dind only', () => {
    expect(testConfig({ ...ENV, RUNNER_RUNTIME: 'runsc' }).pools[0]?.runtimes).toEqual({
      runner: 'runsc',
      dind: undefined,
    });
    const result = repos({
      defaults: { dind_runtime: 'kata', runner_runtime: 'runc' },
      repositories: [
        {
          ...entry,
          pools: [
            {
              id: 'sandboxed',
              runner_labels: ['self-hosted', 'sandboxed'],
              runner_docker_mode: 'none',
              runner_runtime: 'runsc',
            },
            { id: 'docker', runner_labels: ['self-hosted', 'docker'], runner_docker_mode: 'dind' },
            { id: 'sysbox', runner_labels: ['self-hosted', 'sysbox'], dind_runtime: 'sysbox-runc' },
          ],
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.pools.map((pool) => [pool.id, pool.runtimes])).toEqual([
      ['app/sandboxed', { runner: 'runsc', dind: undefined }],
      ['app/docker', { runner: 'runc', dind: 'kata' }],
      ['app/sysbox', { runner: 'runc', dind: 'sysbox-runc' }],
    ]);
    // sysbox refuses privileged containers: its sidecar is unprivileged unless told otherwise.
    expect(result.config.pools.map((pool) => pool.dind.privileged)).toEqual([true, true, false]);
  });

  it('refuse what is no runtime name, and a privileged sidecar under sysbox, by name', () => {
    const result = repos({
      repositories: [
        {
          ...entry,
          pools: [
            { id: 'a', runner_runtime: 'run sc' },
            { id: 'b', dind_runtime: '' },
            { id: 'c', dind_runtime: 'sysbox-runc', dind_privileged: true },
            { id: 'd', runner_runtim: 'runsc' },
          ],
        },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const at = (pool: number, key: string) =>
      `REPOS_CONFIG_FILE repositories[0].pools[${pool}].${key}`;
    expect(result.problems.map((p) => p.setting)).toEqual([
      at(0, 'runner_runtime'),
      at(1, 'dind_runtime'),
      at(3, 'runner_runtim'),
      at(2, 'dind_privileged'),
    ]);
    expect(result.problems[0]?.reason).toMatch(/runtime name as the engine knows it/);
    expect(result.problems[2]?.reason).toMatch(/runner_runtime/);
    expect(result.problems[3]?.reason).toMatch(/sysbox-runc refuses privileged containers/);
    const env = loadConfig({
      env: { ...ENV, DIND_RUNTIME: 'sysbox-runc', DIND_PRIVILEGED: 'true' },
      readFile: () => '',
    });
    expect(env.ok || env.problems.map((p) => p.setting)).toEqual(['DIND_PRIVILEGED']);
  });

  it('become HostConfig.Runtime of the runner and the sidecar, and nothing when unset', () => {
    const specOf = (env: Record<string, string>) => {
      const pool = testConfig({ ...ENV, ...env }).pools[0];
      if (!pool) throw new Error('no pool');
      const spec = { name: 'r-1', pool: runtimeSettings(pool), engineId: 'e', jitConfig: 'j' };
      return { ...spec, jobId: undefined };
    };
    const options = { controllerId: 'c', engineId: 'e', socketGroup: undefined };
    const sidecar = {
      sharedFolders: true,
      dataVolume: 'v',
      cacheVolume: undefined,
      cgroupVersion: '2',
    };
    const plain = specOf({});
    expect(
      runnerContainer(plain, options, { mode: 'dind', sidecarId: 'id', sharedFolders: true })
        .HostConfig?.Runtime,
    ).toBeUndefined();
    expect(dindContainer(plain, options, sidecar).HostConfig?.Runtime).toBeUndefined();
    const tiered = specOf({ RUNNER_RUNTIME: 'kata', DIND_RUNTIME: 'sysbox-runc' });
    expect(
      runnerContainer(tiered, options, { mode: 'dind', sidecarId: 'id', sharedFolders: true })
        .HostConfig?.Runtime,
    ).toBe('kata');
    const dind = dindContainer(tiered, options, sidecar).HostConfig;
    expect(dind).toMatchObject({ Runtime: 'sysbox-runc' });
    // A plain container under sysbox: no privilege, capabilities, profiles or host cgroups.
    expect(dind?.Privileged).toBeUndefined();
    expect(dind?.CapAdd).toBeUndefined();
    expect(dind?.SecurityOpt).toBeUndefined();
    expect(dind?.Binds).not.toContain('/sys/fs/cgroup:/sys/fs/cgroup:rw');
    const v1 = dindContainer(tiered, options, { ...sidecar, cgroupVersion: '1' });
    expect(v1.Cmd?.some((arg) => arg.startsWith('--cgroup-parent'))).toBe(false);
    const gvisor = specOf({ RUNNER_DOCKER_MODE: 'none', RUNNER_RUNTIME: 'runsc' });
    expect(runnerContainer(gvisor, options, { mode: 'none' }).HostConfig?.Runtime).toBe('runsc');
  });
});

const RUNC = ['io.containerd.runc.v2', 'runc'];
const engine = (
  id: string,
  runtimes: string[] | undefined,
  extra: Partial<EngineRoom> = {},
): EngineRoom => ({ id, capacity: 4, platforms: ['linux/amd64'], labels: {}, runtimes, ...extra });
const pool = (id: string, runner?: string, dind?: string, extra: object = {}) => ({
  id,
  platform: undefined,
  engineLabels: {},
  runtimes: { runner, dind },
  ...extra,
});

describe('placement by runtime', () => {
  const plain = engine('plain', RUNC);
  const gvisor = engine('gvisor', [...RUNC, 'runsc']);
  const unknown = engine('down-at-start', undefined);

  it('puts a pool only on engines that offer all of its runtimes', () => {
    const sandboxed = pool('sandboxed', 'runsc');
    expect(place(sandboxed, [plain, gvisor], new Map())).toBe('gvisor');
    expect(place(sandboxed, [plain, gvisor], new Map([['gvisor', 4]]))).toBeUndefined();
    // Both the runner's and the sidecar's: one is not enough.
    expect(canRun(gvisor, pool('both', 'runsc', 'sysbox-runc'))).toBe(false);
    // A pool naming none goes anywhere, an engine whose runtimes are not known yet too.
    expect(place(pool('any'), [unknown], new Map())).toBe('down-at-start');
    // One naming a runtime waits until the engine has told its runtimes.
    expect(place(sandboxed, [unknown], new Map())).toBeUndefined();
  });

  it('plans no runner of a pool on an engine lacking its runtime, however idle', () => {
    const demand = (id: string, runner?: string): PoolDemand => ({
      ...pool(id, runner),
      maxRunners: 10,
      minIdleRunners: 0,
      waitingJobs: 3,
      oldestWaitingAt: 1,
      blockedUntil: 0,
    });
    const actions = plan({
      now: 1_000,
      maxRunners: 100,
      idleTimeoutMs: 60_000,
      pools: [demand('sandboxed', 'runsc'), demand('plain')],
      runners: [],
      engines: [plain, { ...gvisor, capacity: 2 }],
    });
    const spawns = actions.flatMap((a) => (a.kind === 'spawn' ? [[a.poolId, a.engineId]] : []));
    expect(spawns.filter(([p]) => p === 'sandboxed')).toEqual([
      ['sandboxed', 'gvisor'],
      ['sandboxed', 'gvisor'],
    ]);
    expect(spawns.filter(([, e]) => e === 'plain')).toHaveLength(3);
  });

  it('refuses a pool for a runtime only once every engine it could use has told', () => {
    const sandboxed = pool('sandboxed', 'runsc');
    expect(unplaceable([sandboxed], [plain]).map((p) => p.id)).toEqual(['sandboxed']);
    expect(unplaceable([sandboxed], [plain, unknown])).toEqual([]);
    expect(unplaceable([sandboxed], [plain, gvisor])).toEqual([]);
    expect(runtimeStranded([sandboxed], [plain]).map((p) => p.id)).toEqual(['sandboxed']);
    expect(runtimeStranded([sandboxed], [plain, unknown])).toEqual([]);
    // Pinned by labels to the engine lacking it: the other engine does not save it.
    const pinned = pool('pinned', 'runsc', undefined, { engineLabels: { site: 'a' } });
    const labelled = { ...plain, labels: { site: 'a' } };
    expect(runtimeStranded([pinned], [labelled, gvisor]).map((p) => p.id)).toEqual(['pinned']);
    // No engine carries its labels at all: a refusal of its own, not for its runtime.
    expect(runtimeStranded([pinned], [gvisor])).toEqual([]);
    expect(runtimeStranded([pool('any')], [plain])).toEqual([]);
  });

  it('names each pool, setting, runtime and engine lacking it, with what the engine offers', () => {
    const lacks = runtimeLacks(
      [pool('sandboxed', 'runsc'), pool('sysbox', undefined, 'sysbox-runc'), pool('any')],
      [plain, gvisor, unknown, engine('bare', [])],
    );
    expect(lacks.map(describeLack)).toEqual([
      'pool sandboxed: runner_runtime "runsc" is not offered by engine plain (it offers: io.containerd.runc.v2, runc)',
      'pool sandboxed: runner_runtime "runsc" is not offered by engine bare (it offers: none)',
      'pool sysbox: dind_runtime "sysbox-runc" is not offered by engine plain (it offers: io.containerd.runc.v2, runc)',
      'pool sysbox: dind_runtime "sysbox-runc" is not offered by engine gvisor (it offers: io.containerd.runc.v2, runc, runsc)',
      'pool sysbox: dind_runtime "sysbox-runc" is not offered by engine bare (it offers: none)',
    ]);
  });
});

describe('the preflight check on runtimes', () => {
  const plain = engine('plain', RUNC);
  const gvisor = engine('gvisor', [...RUNC, 'runsc']);
  const heads = (lines: ReturnType<typeof runtimeChecks>) =>
    lines.map((line) => formatLine(line).split('\n')[0]);

  // Review of issue 19: `npm run check` passed a pool whose runtime no engine offers, while the
  // controller then refused to start. It now judges as the controller does (runtimeStranded).
  it('fails a pool no engine can ever run for its runtime, one line per engine lacking it', () => {
    const lines = runtimeChecks(
      [pool('sandboxed', 'runsc'), pool('any')],
      [plain, engine('bare', [])],
    );
    expect(heads(lines)).toEqual([
      'FAIL engine   pool sandboxed: runner_runtime "runsc" is not offered by engine plain (it offers: io.containerd.runc.v2, runc)',
      'FAIL engine   pool sandboxed: runner_runtime "runsc" is not offered by engine bare (it offers: none)',
    ]);
    expect(lines[0]?.fix).toMatch(/daemon\.json `runtimes`.*drop runner_runtime/);
  });

  it('warns of an engine lacking it when another offers it, and says which one does', () => {
    const lines = runtimeChecks(
      [pool('sysbox', undefined, 'sysbox-runc'), pool('sandboxed', 'runsc')],
      [plain, gvisor],
    );
    expect(heads(lines)).toEqual([
      'FAIL engine   pool sysbox: dind_runtime "sysbox-runc" is not offered by engine plain (it offers: io.containerd.runc.v2, runc)',
      'FAIL engine   pool sysbox: dind_runtime "sysbox-runc" is not offered by engine gvisor (it offers: io.containerd.runc.v2, runc, runsc)',
      'skip engine   warning: pool sandboxed: runner_runtime "runsc" is not offered by engine plain (it offers: io.containerd.runc.v2, runc); its runners go to the engines that do',
      'ok   engine   pool sandboxed: runsc offered by gvisor',
    ]);
  });

  it('lets a pool wait for an engine that did not answer, as the controller does', () => {
    const lines = runtimeChecks([pool('sandboxed', 'runsc')], [plain, engine('down', undefined)]);
    expect(lines.map((line) => line.status)).toEqual(['skip']);
    expect(runtimeChecks([pool('any')], [plain])).toEqual([]);
  });
});

describe('/health on runtimes', () => {
  it('shows what each engine offers and warns of each engine lacking a pool runtime', () => {
    const config = testConfig(
      { REPOS_CONFIG_FILE: '/repos.json' },
      {
        '/repos.json': JSON.stringify({
          repositories: [
            {
              ...entry,
              pools: [
                {
                  id: 'sandboxed',
                  runner_labels: ['self-hosted', 'sandboxed'],
                  runner_docker_mode: 'none',
                  runner_runtime: 'runsc',
                },
                {
                  id: 'sysbox',
                  runner_labels: ['self-hosted', 'sysbox'],
                  dind_runtime: 'sysbox-runc',
                },
              ],
            },
          ],
        }),
      },
    );
    const status = (id: string, runtimes: string[] | undefined): EngineStatus => ({
      id,
      capacity: 4,
      runtimes,
      endpoint: `unix:///${id}.sock`,
      platforms: ['linux/amd64'],
      labels: {},
      up: runtimes !== undefined,
      error: undefined,
      downSince: undefined,
    });
    const engines = [status('plain', RUNC), status('gvisor', [...RUNC, 'runsc'])];
    // What the reconciler's pass finds refused, as the model reads it.
    const model: StatusModel = {
      config,
      now: () => 0,
      runners: () => [],
      waitingJobs: () => 0,
      waits: () => NO_WAITS,
      jobs: () => [],
      engines: () => engines,
      engineError: () => undefined,
      refusedPools: () => new Set(unplaceable(config.pools, engines).map((pool) => pool.id)),
      poolHealth: () => undefined,
      image: () => undefined,
      scaleSet: () => undefined,
      github: () => undefined,
      hook: () => undefined,
      unserved: () => [],
      releases: () => ({ latest: undefined, releases: [], checkedAt: undefined, error: undefined }),
      credentials: () => [],
    };
    const report = healthReport(model);
    expect(report.docker.engines.map((e) => [e.name, e.runtimes])).toEqual([
      ['plain', RUNC],
      ['gvisor', [...RUNC, 'runsc']],
    ]);
    const pools = report.repositories[0]?.pools ?? [];
    expect(pools.map((p) => [p.id, p.healthy])).toEqual([
      ['app/sandboxed', true],
      ['app/sysbox', false],
    ]);
    expect(report.warnings).toEqual([
      'pool app/sandboxed: runner_runtime "runsc" is not offered by engine plain (it offers: io.containerd.runc.v2, runc)',
      'app/sysbox: no engine can run it (native with runtime sysbox-runc; engines: plain: linux/amd64; gvisor: linux/amd64)',
      'pool app/sysbox: dind_runtime "sysbox-runc" is not offered by engine plain (it offers: io.containerd.runc.v2, runc)',
      'pool app/sysbox: dind_runtime "sysbox-runc" is not offered by engine gvisor (it offers: io.containerd.runc.v2, runc, runsc)',
    ]);
    // An engine that has not told its runtimes (down since the start) refuses nothing yet.
    engines.push(status('later', undefined));
    const later = healthReport(model);
    expect(later.repositories[0]?.pools.map((p) => p.healthy)).toEqual([true, true]);
    expect(later.docker.engines[2]?.runtimes).toBeNull();
  });
});
