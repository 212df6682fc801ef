import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import type { RunnerView } from '../../controller/src/reconcile/observe-runners.ts';
import {
  MAX_ATTEMPTS_PER_JOB,
  PoolHealthBook,
} from '../../controller/src/reconcile/pool-health.ts';
import { RunnerProgress } from '../../controller/src/reconcile/runner-progress.ts';

function setup() {
  const jobs = new JobBook();
  const health = new PoolHealthBook(['p']);
  const counts = { exitedEarly: 0, gaveUp: 0 };
  const progress = new RunnerProgress({
    jobs,
    health,
    log: pino({ level: 'silent' }),
    now: () => 0,
    events: {
      exitedEarly: () => (counts.exitedEarly += 1),
      gaveUp: () => (counts.gaveUp += 1),
    },
  });
  jobs.apply({
    poolId: 'p',
    repoId: 'p',
    repository: 'o/r',
    jobId: 42,
    runId: 1,
    action: 'queued',
    labels: ['self-hosted'],
    runnerName: undefined,
    at: 0,
  });
  return { jobs, health, progress, counts };
}

function view(name: string, fields: Partial<RunnerView> = {}): RunnerView {
  return {
    name,
    poolId: 'p',
    engineId: 'local',
    phase: 'exited',
    since: 0,
    jobId: 42,
    exitCode: 1,
    containerId: `id-${name}`,
    ...fields,
  };
}

/** A runner of this controller that was seen running, then exited with `exitCode`. */
function runAndExit(t: ReturnType<typeof setup>, name: string, exitCode: number) {
  t.progress.note(view(name, { phase: 'idle', exitCode: undefined }), false, false);
  t.progress.note(view(name, { exitCode }), false, false);
}

describe('RunnerProgress', () => {
  it('gives a job up after its runners keep dying, and retries it once the pool works again', () => {
    const t = setup();
    for (let i = 0; i < MAX_ATTEMPTS_PER_JOB; i += 1) runAndExit(t, `r${i}`, 1);
    expect(t.counts).toEqual({ exitedEarly: MAX_ATTEMPTS_PER_JOB, gaveUp: 1 });
    expect(t.jobs.waiting('p')).toEqual([]);
    expect(t.health.get('p')?.givenUpJobs).toBe(1);

    t.progress.note(view('worker', { phase: 'busy', jobId: 7 }), true, false);
    expect(t.jobs.waiting('p').map((job) => job.id)).toEqual([42]);
    expect(t.health.get('p')).toMatchObject({ givenUpJobs: 0, earlyExits: 0 });
  });

  it('backs off on a runner that exited 0 without a known job, but never blames the job', () => {
    const t = setup();
    for (let i = 0; i < MAX_ATTEMPTS_PER_JOB + 2; i += 1) runAndExit(t, `r${i}`, 0);
    expect(t.counts).toEqual({ exitedEarly: MAX_ATTEMPTS_PER_JOB + 2, gaveUp: 0 });
    expect(t.health.get('p')?.blockedUntil).toBeGreaterThan(0);
    expect(t.jobs.waiting('p').map((job) => job.id)).toEqual([42]);
  });

  it('counts nothing for a runner found exited that it never saw alive (after a restart)', () => {
    const t = setup();
    t.progress.note(view('adopted', { exitCode: 1 }), false, false);
    expect(t.counts).toEqual({ exitedEarly: 0, gaveUp: 0 });
    expect(t.health.get('p')?.blockedUntil).toBe(0);
  });

  it('counts a runner it started even when it exited before any listing saw it run', () => {
    const t = setup();
    t.progress.started('fast-crash');
    t.progress.note(view('fast-crash', { exitCode: 1 }), false, false);
    expect(t.counts.exitedEarly).toBe(1);
  });

  it('counts each runner once, and none that the controller is removing itself', () => {
    const t = setup();
    runAndExit(t, 'once', 1);
    t.progress.note(view('once', { exitCode: 1 }), false, false);
    t.progress.note(view('retired', { phase: 'idle', exitCode: undefined }), false, false);
    t.progress.note(view('retired', { exitCode: 0 }), false, true);
    expect(t.counts.exitedEarly).toBe(1);
  });
});
