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
});
