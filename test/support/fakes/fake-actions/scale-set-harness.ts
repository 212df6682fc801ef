import { pino } from 'pino';
import { createActionsClient } from '../../../../controller/src/scaleset/actions-client.ts';
import type {
  ScaleSetBatch,
  ScaleSetEvent,
} from '../../../../controller/src/scaleset/scale-set-events.ts';
import {
  createScaleSetSource,
  type ScaleSetSource,
  type ScaleSetSourceOptions,
} from '../../../../controller/src/scaleset/scale-set-source.ts';
import type { FakeActions } from './fake-actions.ts';

export type LogLine = { level: number; msg: string; [key: string]: unknown };

/**
 * The product's scale-set client wired to a fake Actions service, as a test needs it: its
 * batches and log lines recorded, every secret it sent (Authorization headers) collected so a
 * test can check none leaked, and a switch that cuts its network as a killed process would.
 */
export function connectSource(
  fake: FakeActions,
  options: Partial<Omit<ScaleSetSourceOptions, 'actions' | 'log'>> & {
    refreshMarginMs?: number;
    pollWindowMs?: number;
    probeTimeoutMs?: number;
    onBatch?: (batch: ScaleSetBatch) => void | Promise<void>;
    /** What the source offers the service before every poll; 10. */
    maxCapacity?: () => number;
  } = {},
) {
  const logs: LogLine[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
  );
  const secrets = new Set<string>();
  let cut = false;
  const tracedFetch: typeof fetch = async (input, init) => {
    if (cut) throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED (cut)') });
    const headers = new Headers(init?.headers);
    const auth = headers.get('authorization');
    if (auth) secrets.add(auth.replace(/^\w+ /, ''));
    const response = await fetch(input, init);
    if (cut) throw new TypeError('fetch failed', { cause: new Error('ECONNRESET (cut)') });
    return response;
  };
  const tokens = fake.registrationTokenSource();
  const actions = createActionsClient({
    apiUrl: fake.apiUrl,
    configUrl: fake.configUrl,
    registrationToken: async () => {
      const token = await tokens();
      secrets.add(token);
      return token;
    },
    fetch: tracedFetch,
    log,
    ...(options.refreshMarginMs === undefined ? {} : { refreshMarginMs: options.refreshMarginMs }),
    ...(options.pollWindowMs === undefined ? {} : { pollWindowMs: options.pollWindowMs }),
    ...(options.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: options.probeTimeoutMs }),
  });
  const {
    onBatch,
    maxCapacity = () => 10,
    refreshMarginMs: _margin,
    pollWindowMs: _poll,
    probeTimeoutMs: _probe,
    ...sourceOptions
  } = options;
  const source: ScaleSetSource = createScaleSetSource({
    actions,
    scaleSetName: 'linux-x64',
    ownerName: 'test-controller',
    sessionConflictRetryMs: 100,
    backoff: { initialMs: 20, maxMs: 200 },
    log,
    ...sourceOptions,
  });
  const batches: ScaleSetBatch[] = [];
  const events = (): ScaleSetEvent[] => batches.flatMap((batch) => batch.events);
  return {
    source,
    actions,
    logs,
    batches,
    events,
    secrets,
    tokens,
    start(): void {
      source.start({
        batch: async (batch) => {
          await onBatch?.(batch);
          batches.push(batch);
        },
        maxCapacity,
      });
    },
    /** From now on every request fails, as if the process had been killed. */
    cut(): void {
      cut = true;
    },
    logged: (msg: string) => logs.filter((line) => line.msg === msg),
    /** Fails when a secret the client sent shows in its logs or health. */
    assertNoSecretLeaked(): void {
      const seen = JSON.stringify(logs) + JSON.stringify(source.health());
      for (const secret of secrets)
        if (seen.includes(secret)) throw new Error('a secret the client sent shows in its logs');
    },
  };
}

export type ConnectedSource = ReturnType<typeof connectSource>;

/**
 * Plays the runner stub in-process (test/support/README.md, "Runner stub protocol"): takes a
 * job with the JIT config, waits its duration and completes it. Resolves with the duration
 * taken, or undefined when the registration is gone.
 */
export async function playRunner(
  encodedJitConfig: string,
  timeoutMs = 10_000,
): Promise<number | undefined> {
  const base = Buffer.from(encodedJitConfig, 'base64').toString('utf8');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${base}/acquire`, { method: 'POST' });
    const text = await response.text();
    if (response.status === 404 || response.status === 410) return undefined;
    if (response.status === 200) {
      const seconds = Number(text);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const done = await fetch(`${base}/complete`, { method: 'POST' });
      if (done.status !== 200) throw new Error(`runner: complete answered ${done.status}`);
      return seconds;
    }
    if (Date.now() > deadline) throw new Error('runner: no job within the timeout');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
