import type {
  EngineStatus,
  Listing,
  RunnerContainer,
  RunnerRuntime,
  RunnerSpec,
  RuntimeEvent,
} from '../../../controller/src/runners/runtime.ts';

/** An engine of the fake runtime; `answers: false` is an engine that stopped answering. */
export type FakeEngine = {
  id: string;
  capacity: number;
  platforms: string[];
  labels: Record<string, string>;
  /** The OCI runtimes it offers; default runc. */
  runtimes: string[];
  answers: boolean;
};

/** A container as the fake engine holds it; `listed` copies of it are what a listing returns. */
export type FakeContainer = RunnerContainer & { spec: RunnerSpec | undefined };

export type FakeRuntimeOptions = {
  engines?: (Partial<FakeEngine> & { id: string })[] | undefined;
  now?: () => number;
  /** Called after a runner's container started: a test plays its runner here. */
  onStart?: (container: FakeContainer) => void;
  /** Containers stay `created` until `boot(name)` (default: running at once). */
  bootOnStart?: boolean;
  /**
   * Removals take time: the container stops at once and stays listed until
   * `finishRemoval(name)`, when the removal resolves (default: removed at once).
   */
  holdRemovals?: boolean;
  /** Called when a removal of a container begins, with its state before. */
  onRemove?: (container: FakeContainer, before: RunnerContainer['state']) => void;
};

/**
 * The runtime's contract without Docker, for unit tests of the orchestration: engines that
 * answer or not, containers found again by name, starts that fail when told to, exits and
 * events a test causes. It keeps what the real one keeps (docker-runtime.ts): an engine that does
 * not answer is marked down at the next listing and its containers come back as `unreachable`;
 * a start on it fails; a removal leaves what it holds until it answers again.
 */
export class FakeRuntime implements RunnerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  /** Every start asked, in order (the spec carries the JIT config the runner was given). */
  readonly starts: RunnerSpec[] = [];
  /** Every removal asked, in order. */
  readonly removals: string[] = [];
  /** Images present per engine, with their labels; `pulls` records each pull. */
  readonly images = new Map<string, Map<string, Record<string, string>>>();
  readonly pulls: { engineId: string; image: string; platform: string | undefined }[] = [];
  readonly #engines: FakeEngine[];
  readonly #up = new Map<
    string,
    { up: boolean; error: string | undefined; since?: number | undefined }
  >();
  readonly #lastSeen = new Map<string, RunnerContainer[]>();
  readonly #startFailures: Error[] = [];
  readonly #listeners = new Set<(event: RuntimeEvent) => void>();
  readonly #now: () => number;
  readonly #options: FakeRuntimeOptions;
  /** Removals under way (holdRemovals), each with the calls waiting for it. */
  readonly #removing = new Map<string, (() => void)[]>();
  #nextId = 1;

  constructor(options: FakeRuntimeOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#options = options;
    this.#engines = (options.engines ?? [{ id: 'local' }]).map((engine) => ({
      capacity: 10,
      platforms: ['linux/amd64'],
      labels: {},
      runtimes: ['runc'],
      answers: true,
      ...engine,
    }));
    for (const engine of this.#engines) this.#up.set(engine.id, { up: true, error: undefined });
  }

  engine(id: string): FakeEngine {
    const engine = this.#engines.find((candidate) => candidate.id === id);
    if (!engine) throw new Error(`no fake engine ${id}`);
    return engine;
  }

  engines(): EngineStatus[] {
    return this.#engines.map((engine) => {
      const state = this.#up.get(engine.id);
      return {
        id: engine.id,
        endpoint: `fake://${engine.id}`,
        capacity: engine.capacity,
        labels: engine.labels,
        up: state?.up ?? true,
        platforms: engine.platforms,
        error: state?.error,
        downSince: state?.since,
        runtimes: engine.runtimes,
      };
    });
  }

  list(): Promise<Listing> {
    const containers: RunnerContainer[] = [];
    const unreachable: RunnerContainer[] = [];
    for (const engine of this.#engines) {
      if (engine.answers) {
        const seen = this.#on(engine.id).map(listed);
        this.#lastSeen.set(engine.id, seen);
        this.#up.set(engine.id, { up: true, error: undefined });
        containers.push(...seen);
      } else {
        const before = this.#up.get(engine.id);
        this.#up.set(engine.id, {
          up: false,
          error: `docker engine ${engine.id} did not answer its listing`,
          since: before?.up === false ? before.since : this.#now(),
        });
        const seen = this.#lastSeen.get(engine.id) ?? [];
        unreachable.push(...seen.filter((container) => container.state !== 'exited'));
      }
    }
    return Promise.resolve({ containers, unreachable });
  }

  start(spec: RunnerSpec): Promise<void> {
    this.starts.push(spec);
    const failure = this.#startFailures.shift();
    if (failure) return Promise.reject(failure);
    const engine = this.#engines.find((candidate) => candidate.id === spec.engineId);
    if (!engine) return Promise.reject(new Error(`no Docker engine named ${spec.engineId}`));
    if (!engine.answers)
      return Promise.reject(new Error(`connect ECONNREFUSED: engine ${engine.id} is down`));
    const at = this.#now();
    const container: FakeContainer = {
      name: spec.name,
      poolId: spec.pool.id,
      engineId: spec.engineId,
      containerId: `c${this.#nextId++}`,
      state: (this.#options.bootOnStart ?? true) ? 'running' : 'created',
      exitCode: undefined,
      createdAt: at,
      startedAt: at,
      jobId: spec.jobId,
      sidecarDown: false,
      spec,
    };
    this.containers.set(spec.name, container);
    this.#options.onStart?.(container);
    return Promise.resolve();
  }

  remove(name: string): Promise<void> {
    this.removals.push(name);
    const container = this.containers.get(name);
    if (!container || !this.engine(container.engineId).answers) return Promise.resolve();
    if (!this.#options.holdRemovals) {
      this.#options.onRemove?.(container, container.state);
      this.containers.delete(name);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const waiting = this.#removing.get(name);
      if (waiting) {
        waiting.push(resolve);
        return;
      }
      this.#removing.set(name, [resolve]);
      const before = container.state;
      container.state = 'exited';
      container.exitCode ??= 0;
      this.#options.onRemove?.(container, before);
    });
  }

  watch(onEvent: (event: RuntimeEvent) => void): () => void {
    this.#listeners.add(onEvent);
    return () => this.#listeners.delete(onEvent);
  }

  pullImage(engineId: string, image: string, platform: string | undefined): Promise<void> {
    this.pulls.push({ engineId, image, platform });
    if (!this.engine(engineId).answers)
      return Promise.reject(new Error(`docker engine ${engineId} is down`));
    const images = this.images.get(engineId) ?? new Map<string, Record<string, string>>();
    images.set(image, images.get(image) ?? {});
    this.images.set(engineId, images);
    return Promise.resolve();
  }

  inspectImage(
    engineId: string,
    image: string,
  ): Promise<{ labels: Record<string, string> } | undefined> {
    const labels = this.images.get(engineId)?.get(image);
    return Promise.resolve(labels && { labels });
  }

  // ---- what a test makes happen ----

  /** A created container starts running (bootOnStart: false). */
  boot(name: string): void {
    const container = this.containers.get(name);
    if (container?.state === 'created') container.state = 'running';
  }

  /** Names of the containers being removed (holdRemovals). */
  removing(): string[] {
    return [...this.#removing.keys()];
  }

  /** A held removal is done: the container is gone and the removal resolves. */
  finishRemoval(name: string): void {
    const waiting = this.#removing.get(name) ?? [];
    this.#removing.delete(name);
    this.containers.delete(name);
    for (const resolve of waiting) resolve();
  }

  /** The next start fails with this error (one failure per call). */
  failNextStart(error: Error): void {
    this.#startFailures.push(error);
  }

  /** A container left by an earlier controller, found on the engine as it was. */
  adopt(container: Partial<RunnerContainer> & { name: string; poolId: string }): FakeContainer {
    const at = this.#now();
    const adopted: FakeContainer = {
      engineId: this.#engines[0]?.id ?? 'local',
      containerId: `c${this.#nextId++}`,
      state: 'running',
      exitCode: undefined,
      createdAt: at,
      startedAt: at,
      jobId: undefined,
      sidecarDown: false,
      ...container,
      spec: undefined,
    };
    this.containers.set(adopted.name, adopted);
    return adopted;
  }

  /** The runner's process ends; the engine reports it at once (as its event stream does). */
  exit(name: string, exitCode: number, options: { event?: boolean } = {}): void {
    const container = this.containers.get(name);
    if (!container) throw new Error(`no container ${name}`);
    container.state = 'exited';
    container.exitCode = exitCode;
    if (options.event ?? true)
      this.emit({
        kind: 'changed',
        engineId: container.engineId,
        died: [{ containerId: container.containerId, exitCode }],
      });
  }

  emit(event: RuntimeEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** The containers of a pool (or all), in start order. */
  of(poolId?: string): FakeContainer[] {
    return [...this.containers.values()].filter(
      (container) => poolId === undefined || container.poolId === poolId,
    );
  }

  #on(engineId: string): FakeContainer[] {
    return [...this.containers.values()].filter((container) => container.engineId === engineId);
  }
}

function listed(container: FakeContainer): RunnerContainer {
  const { spec: _spec, ...fields } = container;
  return { ...fields };
}
