/**
 * Benchmark 12: from a job queued to its first Docker command answered, in dind mode, with a
 * cold start (runner and sidecar made for the job) and with a warm runner (MIN_IDLE_RUNNERS=1),
 * against the engine's own start of the same two containers and the sidecar's readiness. Needs
 * a Docker engine, the dind test images and the runner image with the stand-in tarball.
 */
import { execFileSync } from 'node:child_process';
import type { PoolConfig } from '../controller/src/config/config-types.ts';
import {
  dindContainer,
  runnerContainer,
  volumeLabels,
  volumeNames,
} from '../controller/src/runners/container-spec.ts';
import { runtimeSettings, type RunnerSpec } from '../controller/src/runners/runtime.ts';
import { testConfig } from '../test/support/fixtures/config-fixtures.ts';
import { DIND_IMAGE } from '../test/support/images/dind-helpers.ts';
import { docker, noLeftovers, removeAllOf } from '../test/support/harness/docker-cleanup.ts';
import { createHarness, type Harness } from '../test/support/harness/harness.ts';
import { ensureStandinRunnerImage } from '../test/support/images/runner-image.ts';
import { describeReports, stepReports } from '../test/support/images/standin-workflows.ts';
import { createTestNetwork, type TestNetwork } from '../test/support/harness/test-network.ts';
import { waitUntil } from '../test/support/harness/wait-until.ts';
import type { BenchResult } from './result.ts';
import { median } from './stats.ts';

const ROUNDS = 7;
const ROOT = new URL('..', import.meta.url).pathname;
const CONTROLLER_LABEL = 'io.runner-autoscaler.controller';

/** The job: its first step's first command is `docker version`; the step notes when it answered. */
const FIRST_DOCKER_COMMAND = {
  steps: [
    {
      id: 'ready',
      run: [
        'before=$(date +%s%3N)',
        'docker version --format "{{.Server.Version}}" >/dev/null',
        'at=$(date +%s%3N)',
        'echo "at=$at" >>"$GITHUB_OUTPUT"',
        'echo "command=$((at - before))" >>"$GITHUB_OUTPUT"',
      ].join('\n'),
    },
  ],
};

function env(standin: string, net: TestNetwork): Record<string, string> {
  return {
    RUNNER_DOCKER_MODE: 'dind',
    DIND_IMAGE,
    DIND_PRIVILEGED: 'false',
    RUNNER_IMAGE: standin,
    RUNNER_NETWORK: net.name,
    MAX_RUNNERS: '1',
    LOG_LEVEL: 'info',
  };
}

/**
 * Queued → the job's `docker version` answered (ms, one host clock), and how long that command
 * itself took.
 */
async function oneJob(h: Harness): Promise<{ ready: number; command: number }> {
  const queuedAt = Date.now();
  const job = await h.fake.queueJob({
    labels: ['self-hosted'],
    durationMs: 0,
    workflow: FIRST_DOCKER_COMMAND,
  });
  await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 60_000, 'job completed');
  const reports = stepReports(h.fake, job.id);
  const outputs = reports.find((r) => r.name.startsWith('before='))?.outputs;
  const at = Number(outputs?.at);
  if (!Number.isFinite(at)) throw new Error(`no time reported:\n${describeReports(reports)}`);
  return { ready: at - queuedAt, command: Number(outputs?.command) };
}

/**
 * The bound: the engine creates and starts the same sidecar and runner (the controller's own spec
 * functions, with their volumes) as fast as it can, and the runner's container polls the sidecar's
 * engine until `docker version` answers (ms from the first create to that answer).
 */
async function direct(pool: PoolConfig, controllerId: string, round: number): Promise<number> {
  const name = `bench-ready-${controllerId}-${round}`;
  const spec: RunnerSpec = {
    name,
    pool: runtimeSettings(pool),
    engineId: 'local',
    jitConfig: 'x'.repeat(2_400),
    jobId: undefined,
  };
  const options = { controllerId, engineId: 'local', socketGroup: undefined };
  const cgroupVersion = (await docker.info()) as { CgroupVersion?: string };
  const start = Date.now();
  const volumes = volumeNames(name);
  for (const volume of [volumes.docker, volumes.socket, volumes.work, volumes.externals])
    await docker.createVolume({ Name: volume, Labels: volumeLabels(spec, options) });
  const sidecar = await docker.createContainer(
    dindContainer(spec, options, {
      sharedFolders: true,
      dataVolume: volumes.docker,
      cacheVolume: undefined,
      cgroupVersion: cgroupVersion.CgroupVersion,
    }),
  );
  await sidecar.start();
  const runner = runnerContainer(spec, options, {
    mode: 'dind',
    sidecarId: sidecar.id,
    sharedFolders: true,
  });
  const container = await docker.createContainer({
    ...runner,
    Entrypoint: ['bash', '-c'],
    Cmd: [
      'until docker version --format "{{.Server.Version}}" >/dev/null 2>&1; do sleep 0.02; done; date +%s%3N',
    ],
  });
  await container.start();
  await container.wait();
  const logs = (await container.logs({ stdout: true })).toString('latin1');
  const at = Number(/(\d{13})\s*$/.exec(logs)?.[1]);
  await removeAllOf(controllerId);
  if (!Number.isFinite(at)) throw new Error(`the direct start reported no time: ${logs}`);
  return at - start;
}

export async function benchDockerReady(): Promise<BenchResult> {
  execFileSync('sh', ['test/support/images/build-dind-images.sh'], { cwd: ROOT, stdio: 'ignore' });
  const standin = await ensureStandinRunnerImage();
  const net = await createTestNetwork('autoscaler-bench');
  const cold: number[] = [];
  const warm: number[] = [];
  const command: number[] = [];
  const bound: number[] = [];
  try {
    const pool = testConfig({
      GITHUB_URL: 'https://github.com/bench/ready',
      GITHUB_TOKEN: 't',
      ...env(standin, net),
    }).repos[0]?.pools[0];
    if (!pool) throw new Error('no pool');

    const coldHarness = await createHarness({ host: net.gateway });
    try {
      await coldHarness.start(env(standin, net));
      for (let round = 0; round < ROUNDS; round += 1) {
        cold.push((await oneJob(coldHarness)).ready);
        await noLeftovers(coldHarness.controllerId, 30_000);
        bound.push(await direct(pool, `${coldHarness.controllerId}-direct`, round));
      }
    } finally {
      await coldHarness.cleanup();
    }

    const warmHarness = await createHarness({ host: net.gateway });
    try {
      await warmHarness.start({ ...env(standin, net), MIN_IDLE_RUNNERS: '1' });
      for (let round = 0; round < ROUNDS; round += 1) {
        // A warm runner: started, its engine answering, its listener waiting for a job.
        await waitUntil(
          async () => {
            const runners = await docker.listContainers({
              filters: {
                label: [
                  `${CONTROLLER_LABEL}=${warmHarness.controllerId}`,
                  'io.runner-autoscaler.role=runner',
                ],
                status: ['running'],
              },
            });
            const name = runners[0]?.Labels['io.runner-autoscaler.runner-name'];
            return (
              name !== undefined &&
              warmHarness.fake.runners().some((r) => r.name === name && r.status === 'online')
            );
          },
          60_000,
          'a warm runner waiting for a job',
        );
        // Its entrypoint waited for the engine before the listener started; give the long poll
        // a moment to be open.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const job = await oneJob(warmHarness);
        warm.push(job.ready);
        command.push(job.command);
      }
    } finally {
      await warmHarness.cleanup();
    }
  } finally {
    await net.remove();
  }
  const cold50 = median(cold);
  const warm50 = median(warm);
  const bound50 = median(bound);
  const command50 = median(command);
  const coldRatio = median(cold.map((value, i) => value / (bound[i] ?? Number.NaN)));
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  return {
    title: "12. A job's first Docker command (dind)",
    baseline:
      "cold: the engine's own start of the same sidecar and runner containers (the controller's " +
      'spec functions, with their four volumes) until `docker version` answers in the runner; ' +
      'warm: the `docker version` command itself, timed in the same job',
    rows: [
      {
        measure: "queued → the job's first `docker version` answered, cold (runner made for it)",
        unit: 'ms',
        value: cold50,
        baseline: bound50,
        pairedRatio: coldRatio,
      },
      {
        measure:
          "queued → the job's first `docker version` answered, warm runner, against that command alone",
        unit: 'ms',
        value: warm50,
        baseline: command50,
      },
    ],
    shows:
      `A job whose runner is made for it runs its first Docker command ${cold50.toFixed(0)} ms ` +
      `after it is queued (p50), against ${bound50.toFixed(0)} ms for the engine to start the ` +
      `same two containers and the sidecar's dockerd to answer, with nothing else to do ` +
      `(${coldRatio.toFixed(2)}×; target 1.2×: ${verdict(coldRatio <= 1.2)}). With a warm runner ` +
      `(MIN_IDLE_RUNNERS) the engine is already up: ${warm50.toFixed(0)} ms (target under ` +
      `100 ms: ${verdict(warm50 < 100)}), of which the \`docker version\` command ` +
      `itself takes ${command50.toFixed(0)} ms; the rest is the runner's long poll being answered, ` +
      `the job's description fetched and its step started by the stand-in runner.`,
    method:
      `${ROUNDS} rounds each: a controller process with one dind pool (the hardened sidecar, the ` +
      `runner image with the stand-in tarball, one runner at a time) and a job whose first step ` +
      `runs \`docker version\` and notes the time (one host clock); between the cold rounds the ` +
      `engine starts the same containers directly and the runner polls its sidecar's engine ` +
      `every 20 ms. The warm rounds wait for the idle runner to be online (its entrypoint waits ` +
      `for the engine before the runner starts) and for its long poll to be open. Medians; the ` +
      `cold ratio is the median of the per-round ratios. The sidecar is Debian's docker.io 20.10 ` +
      `(the docker:dind stand-in here); the stand-in runner's externals are a few KB, the real ` +
      `runner's several hundred MB (the engine copies them into the runner's externals volume ` +
      `when it creates the runner).`,
  };
}
