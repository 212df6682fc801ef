/**
 * Benchmark 11: a scale-set pool after the Actions service fails. From the moment the service
 * answers again (or the fault, for one that leaves it answering) to the next job's runner
 * started, against the pickup of an undisturbed job in the same run. Needs a Docker engine and
 * the test images.
 */
import { noLeftovers } from '../test/support/harness/docker-cleanup.ts';
import type { FakeActions, FakeOutage } from '../test/support/fakes/fake-actions/index.ts';
import { waitUntil } from '../test/support/harness/wait-until.ts';
import { CONTROLLER_LABEL, watchStarts, type Starts } from './engine-start.ts';
import { scaleSetRig } from './scaleset-controller.ts';
import type { BenchResult, Row } from './result.ts';
import { median } from './stats.ts';

const CAP = 4;
const JOB_MS = 500;
const OUTAGE_MS = 20_000;
const ROUNDS = 5;
const SCALE_SET = 'bench-recovering';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Fault = {
  measure: string;
  /** Brings the fault about with a job queued during it; answers the moment of the return. */
  run: (actions: FakeActions, queue: () => void) => Promise<number>;
};

const outage = (what: string, kind: FakeOutage): Fault => ({
  measure: `${what} for ${OUTAGE_MS / 1000} s: the service's return → the next job's runner started`,
  async run(actions, queue) {
    actions.outage(kind);
    await sleep(1_000);
    queue();
    await sleep(OUTAGE_MS - 1_000);
    return actions.endOutage();
  },
});

const instant = (what: string, bring: (actions: FakeActions) => void): Fault => ({
  measure: `${what}: the fault → the next job's runner started`,
  run(actions, queue) {
    const at = Date.now();
    bring(actions);
    queue();
    return Promise.resolve(at);
  },
});

const FAULTS: Fault[] = [
  outage('503s', { status: 503 }),
  outage('no answer', { hang: true }),
  instant('admin tokens expired', (actions) => actions.expireAdminTokens()),
  instant('session dropped on GitHub’s side', (actions) => {
    const session = actions.sessions().find((s) => s.active);
    if (session) actions.evictSession(session.id);
  }),
  instant('scale set deleted on GitHub’s side', (actions) => actions.deleteScaleSet(SCALE_SET)),
];

/** From `from()` (the job queued, or the service's return) to its runner's `start` event. */
async function timed(
  actions: FakeActions,
  starts: Starts,
  controllerId: string,
  from: (queue: () => void) => Promise<number>,
): Promise<number> {
  await noLeftovers(controllerId, 30_000);
  let jobId: number | undefined;
  const started = starts.next();
  const since = await from(() => {
    jobId = actions.queueJob({ scaleSet: SCALE_SET, durationMs: JOB_MS }).runnerRequestId;
  });
  const at = await started;
  await waitUntil(
    () => jobId !== undefined && actions.job(jobId)?.state === 'completed',
    60_000,
    'the job completed',
  );
  return at - since;
}

export async function benchScaleSetRecovery(
  log: (line: string) => void = () => undefined,
): Promise<BenchResult> {
  // The fake's defaults: a long poll held 5 s, a session expiring 10 s after its last call.
  const rig = await scaleSetRig(SCALE_SET, CAP);
  const { h, actions } = rig;
  const starts = await watchStarts(`${CONTROLLER_LABEL}=${h.controllerId}`);
  try {
    await rig.start();
    const pickup = (queue: () => void) => {
      queue();
      return Promise.resolve(Date.now());
    };
    // A first job warms the path (image, connections); not counted.
    await timed(actions, starts, h.controllerId, pickup);
    const pickups: number[] = [];
    const recoveries = FAULTS.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round += 1) {
      pickups.push(await timed(actions, starts, h.controllerId, pickup));
      for (const [i, fault] of FAULTS.entries()) {
        const ms = await timed(actions, starts, h.controllerId, (queue) =>
          fault.run(actions, queue),
        );
        recoveries[i]?.push(ms);
        log(`  round ${round + 1}: ${fault.measure.split(':')[0]}: ${ms.toFixed(0)} ms`);
      }
    }
    const baseline = median(pickups);
    const rows: Row[] = FAULTS.map((fault, i) => {
      const times = recoveries[i] ?? [];
      return {
        measure: fault.measure,
        unit: 'ms',
        value: median(times),
        baseline,
        pairedRatio: median(times.map((ms, round) => ms / (pickups[round] ?? baseline))),
      };
    });
    const worst = Math.max(...rows.map((row) => row.pairedRatio ?? row.value / row.baseline));
    return {
      title: '11. Scale-set recovery',
      baseline: `the pickup of an undisturbed job in the same run: queued → its runner started (${baseline.toFixed(0)} ms, median of ${ROUNDS})`,
      rows,
      shows:
        `After ${OUTAGE_MS / 1000} s of 503s or of no answer at all, and after faults that leave ` +
        `the service answering (expired admin tokens, a session dropped or the scale set deleted ` +
        `on GitHub's side), the job queued meanwhile gets its runner within ` +
        `${worst.toFixed(2)}× an undisturbed pickup at worst (target 2×${worst <= 2 ? '' : ': MISSED'}): while the service ` +
        `fails, a probe every 200 ms ends every wait at its first answer, and a registration ` +
        `waits for the service instead of failing (which would back the pool off). Before ` +
        `(backoff doubling to 60 s, reset only by a poll), 20 s of 503s left such a job 23.5 s ` +
        `without a runner and 20 s of no answer more than 90 s (test/integration/` +
        `scaleset-recovery.test.ts, same fake).`,
      method:
        `Real controller process (\`npm start\`, JOB_SOURCE=scaleset, MAX_RUNNERS=${CAP}), the ` +
        `fake Actions service at its defaults (long poll held 5 s, sessions expiring 10 s after ` +
        `their last call) and fake GitHub on 127.0.0.1, runner stub image on the host network, ` +
        `${JOB_MS} ms jobs. ${ROUNDS} rounds of: an undisturbed job (queued → its runner ` +
        `container's \`start\` event), then each fault with one job queued during it (outages: ` +
        `1 s in), timed from the return (\`endOutage()\`) or the fault to that job's runner ` +
        `\`start\` event, on a quiet engine. Medians; the ratio is the median of each round's ` +
        `ratio to that round's undisturbed pickup.`,
    };
  } finally {
    starts.stop();
    await rig.close();
  }
}
