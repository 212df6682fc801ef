/**
 * Property tests of the planner, run by the real reconciler in a simulated world
 * (test/support/fakes/planner-simulation.ts, on the fake runtime and registrar): random sequences of
 * jobs queued, webhooks delivered late, twice, out of order or never, resyncs, controller
 * restarts, runners booting, taking jobs and exiting, and time passing. A failure prints the
 * shrunk step list and a log of what happened.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import {
  World,
  configArb,
  stepArb,
  type Mode,
  type SimConfig,
  type Step,
} from '../support/fakes/planner-simulation.ts';

const lossy: Mode = { lossy: true, finishAfterWebhook: false };
const reliable: Mode = { lossy: false, finishAfterWebhook: true };
const params = { numRuns: 200 };

const scenario = (mode: Mode) =>
  [configArb, fc.array(stepArb(mode.lossy), { maxLength: 80, size: 'max' })] as const;

/** Runs the steps, then `after`; any failure carries the world's log. */
async function simulate(
  config: SimConfig,
  steps: Step[],
  mode: Mode,
  each: (world: World) => void,
  after: (world: World) => Promise<void> = async () => {},
): Promise<void> {
  const world = new World(config, mode);
  try {
    for (const step of steps) {
      await world.run(step);
      each(world);
    }
    await after(world);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${message}\nconfig: ${JSON.stringify(config)}\nlog:\n  ${squeeze(world.log).join('\n  ')}`,
      { cause: error },
    );
  } finally {
    await world.close();
  }
}

/** Folds runs of the same line: "tick: nothing (x12)". */
function squeeze(lines: string[]): string[] {
  const out: { line: string; count: number }[] = [];
  for (const line of lines) {
    const last = out.at(-1);
    if (last?.line === line) last.count += 1;
    else out.push({ line, count: 1 });
  }
  return out.map(({ line, count }) => (count > 1 ? `${line} (x${count})` : line));
}

// The reconciler's own timers never fire: time is the world's, and a tick runs it until quiet.
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterAll(() => {
  vi.useRealTimers();
});

describe('plan, run by the reconciler in a simulated world', () => {
  it('1. containers never exceed the global cap nor a pool cap', async () => {
    await fc.assert(
      fc.asyncProperty(...scenario(lossy), (config, steps) =>
        simulate(config, steps, lossy, (world) => world.checkCaps()),
      ),
      params,
    );
  });

  it('2. after any history, a drain completes every job and leaves only the warm pool', async () => {
    await fc.assert(
      fc.asyncProperty(...scenario(lossy), (config, steps) =>
        simulate(
          config,
          steps,
          lossy,
          () => {},
          async (world) => {
            await world.drain();
            world.checkDrained();
          },
        ),
      ),
      params,
    );
  });

  it('3. without loss or restart, no job gets two runners (spawns <= jobs + warm)', async () => {
    await fc.assert(
      fc.asyncProperty(...scenario(reliable), (config, steps) =>
        simulate(
          config,
          steps,
          reliable,
          (world) => world.checkSpawns(),
          async (world) => {
            await world.drain();
            world.checkSpawns();
          },
        ),
      ),
      params,
    );
  });

  it('4. a runner the controller knows busy is never retired, and only exited ones are cleaned up', async () => {
    // With lost webhooks the controller may not know a runner took a job and may try to retire
    // it: GitHub refuses to deregister a busy runner, and the model does the same.
    await fc.assert(
      fc.asyncProperty(...scenario(lossy), (config, steps) =>
        simulate(
          config,
          steps,
          lossy,
          (world) => world.checkNoBusyStopped(),
          async (world) => {
            await world.drain();
            world.checkNoBusyStopped();
          },
        ),
      ),
      params,
    );
  });
});
