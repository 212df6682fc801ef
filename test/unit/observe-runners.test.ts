import { describe, expect, it } from 'vitest';
import {
  NEVER_STARTED_MS,
  observeRunners,
  type Observation,
} from '../../controller/src/reconcile/observe-runners.ts';
import type { RunnerContainer } from '../../controller/src/runners/runtime.ts';

const NOW = 1_000_000;

function container(name: string, fields: Partial<RunnerContainer> = {}): RunnerContainer {
  return {
    name,
    poolId: 'p',
    engineId: 'local',
    containerId: `id-${name}`,
    state: 'running',
    exitCode: undefined,
    createdAt: NOW - 1_000,
    startedAt: undefined,
    jobId: undefined,
    sidecarDown: false,
    ...fields,
  };
}

function observe(containers: RunnerContainer[], fields: Partial<Observation> = {}) {
  const views = observeRunners({
    containers,
    inFlight: new Map(),
    listing: 1,
    busy: new Map(),
    working: new Set(),
    now: NOW,
    ...fields,
  });
  return Object.fromEntries(views.map((view) => [view.name, [view.phase, view.stranded]]));
}

describe('observeRunners', () => {
  it('sorts containers into starting, idle, busy and exited', () => {
    expect(
      observe(
        [
          container('created', { state: 'created' }),
          container('idle'),
          container('busy'),
          container('exited', { state: 'exited', exitCode: 0 }),
        ],
        { busy: new Map([['busy', 7]]), working: new Set(['busy']) },
      ),
    ).toEqual({
      created: ['starting', undefined],
      idle: ['idle', undefined],
      busy: ['busy', undefined],
      exited: ['exited', undefined],
    });
  });

  it('counts a runner whose dind sidecar stopped as exited, unless its job is in progress', () => {
    const stranded = container('lost', { sidecarDown: true });
    const working = container('working', { sidecarDown: true });
    const finished = container('finished', { sidecarDown: true });
    expect(
      observe([stranded, working, finished], {
        busy: new Map([
          ['working', 1],
          ['finished', 2],
        ]),
        working: new Set(['working']),
      }),
    ).toEqual({
      lost: ['exited', 'sidecar-down'],
      working: ['busy', undefined],
      finished: ['exited', 'sidecar-down'],
    });
  });

  it('counts a container created long ago and never started as exited, unless it is being started', () => {
    const old = NOW - NEVER_STARTED_MS - 1;
    const views = observe(
      [
        container('orphan', { state: 'created', createdAt: old }),
        container('slow-start', { state: 'created', createdAt: old }),
        container('young', { state: 'created', createdAt: NOW - 5_000 }),
      ],
      {
        inFlight: new Map([
          ['slow-start', { poolId: 'p', engineId: 'local', since: old, jobId: undefined }],
        ]),
      },
    );
    expect(views).toEqual({
      orphan: ['exited', 'never-started'],
      'slow-start': ['starting', undefined],
      young: ['starting', undefined],
    });
  });

  it('counts a container an earlier process created and never started as exited at once', () => {
    // Killed between create and start: this process, started 30 s ago, adopts it as stranded
    // rather than holding a slot for it until NEVER_STARTED_MS; one created moments before it
    // started may still be started by the engine (a start request in flight at the kill).
    const startedAt = NOW - 30_000;
    const views = observe(
      [
        container('left', { state: 'created', createdAt: startedAt - 5_000 }),
        container('in-flight-at-kill', { state: 'created', createdAt: NOW - 9_000 }),
        container('mine', { state: 'created', createdAt: startedAt + 2_000 }),
        container('being-started', { state: 'created', createdAt: startedAt - 5_000 }),
      ],
      {
        processStartedAt: startedAt,
        inFlight: new Map([
          ['being-started', { poolId: 'p', engineId: 'local', since: NOW, jobId: undefined }],
        ]),
      },
    );
    expect(views).toEqual({
      left: ['exited', 'never-started'],
      'in-flight-at-kill': ['starting', undefined],
      mine: ['starting', undefined],
      'being-started': ['starting', undefined],
    });
  });
});
