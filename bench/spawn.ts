/**
 * Benchmark 5: from a queued delivery sent to its runner container running, on the real
 * Docker engine, against a bare container start of the same image. Needs a Docker engine and the
 * test images (test/support/images/build-images.sh); GitHub is the fake of test/support.
 */
import { execFileSync } from 'node:child_process';
import { noLeftovers } from '../test/support/harness/docker-cleanup.ts';
import { createHarness, type Harness } from '../test/support/harness/harness.ts';
import { waitUntil } from '../test/support/harness/wait-until.ts';
import {
  CONTROLLER_LABEL,
  startDirectly,
  startRunnerSpecDirectly,
  watchStarts,
  type Starts,
} from './engine-start.ts';
import type { BenchResult } from './result.ts';
import { median, percentile } from './stats.ts';

const ROUNDS = 15;
const ROOT = new URL('..', import.meta.url).pathname;

/** One job through the controller: delivery sent → runner container started (ms). */
async function spawnOnce(h: Harness, starts: Starts): Promise<number> {
  const started = starts.next();
  const sentAt = Date.now();
  const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 100 });
  const startedAt = await started;
  await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 20_000, 'job completed');
  // The runner exits after its job and the controller removes it: wait for a quiet engine.
  await noLeftovers(h.controllerId, 20_000);
  return startedAt - sentAt;
}

export async function benchSpawn(): Promise<BenchResult> {
  execFileSync('bash', ['test/support/images/build-images.sh'], { cwd: ROOT, stdio: 'ignore' });
  // The fake GitHub and the controller process (runner stub image, host network) of the tests.
  const h = await createHarness();
  const starts = await watchStarts(`${CONTROLLER_LABEL}=${h.controllerId}`);
  try {
    await h.start({ LOG_LEVEL: 'info' });
    const viaController: number[] = [];
    const direct: number[] = [];
    const sameSpec: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // A second between rounds: each starts on a quiet controller and engine.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      viaController.push(await spawnOnce(h, starts));
      direct.push(await startDirectly(starts, h.controllerId));
      sameSpec.push(await startRunnerSpecDirectly(starts, h.controllerId));
    }
    const spec50 = median(sameSpec);
    const p50 = median(viaController);
    const p90 = percentile(viaController, 90);
    const baseline50 = median(direct);
    const baseline90 = percentile(direct, 90);
    return {
      title: '5. Runner start',
      baseline: 'the same image created and started directly through the Docker API',
      rows: [
        {
          measure: 'delivery sent → runner started, p50',
          unit: 'ms',
          value: p50,
          baseline: baseline50,
        },
        {
          measure: 'delivery sent → runner started, p90',
          unit: 'ms',
          value: p90,
          baseline: baseline90,
        },
        {
          measure:
            'delivery sent → runner started, p50, against the runner container started directly',
          unit: 'ms',
          value: p50,
          baseline: spec50,
        },
      ],
      shows:
        `A queued job has its runner container started ${p50.toFixed(0)} ms (p50) after its ` +
        `delivery is sent, ${p90.toFixed(0)} ms at p90: within the second the design asks for. ` +
        `The controller's share (the delivery, waking the reconciler, the JIT registration at ` +
        `the fake GitHub; no container listing, since the engine's event stream reported no ` +
        `change after the last one) is the difference to the engine's own create and start of ` +
        `the same image: ${(p50 - baseline50).toFixed(0)} ms at p50. Part of that difference is ` +
        `the runner's container itself (its environment with the JIT config, its pids limit, ` +
        `its network): the engine creates and starts that very container, made by the ` +
        `controller's own spec function, in ${spec50.toFixed(0)} ms (p50): through the controller it takes ` +
        `${(p50 / spec50).toFixed(2)}× that (${(p50 - spec50).toFixed(0)} ms); the JIT registration, a GitHub write that ` +
        `must precede the container (its config is the container's environment), is one round ` +
        `trip of that, answered here within a few ms by the fake.`,
      method:
        `${ROUNDS} rounds, one job at a time on a quiet engine, each followed by a direct ` +
        `start of the same image (\`true\`, host network, nothing else), then of the runner ` +
        `container as the controller's spec makes it (command \`true\`); ` +
        `the start times are the engine's own \`start\` events (\`timeNano\`), the ` +
        `delivery time is when the fake GitHub began its webhook POST. Real controller ` +
        `process (\`npm start\`), runner stub image, fake GitHub on 127.0.0.1.`,
    };
  } finally {
    starts.stop();
    await h.cleanup();
  }
}
