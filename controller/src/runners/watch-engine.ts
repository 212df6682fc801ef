import type { Logger } from 'pino';
import type { DockerEngine } from './docker-engine.ts';
import type { RuntimeEvent } from './runtime.ts';

const RETRY_MS = [500, 1_000, 2_000, 5_000, 10_000];

/** Follows an engine's container events, reconnecting with backoff when the engine goes away. */
export function watchEngine(
  engine: DockerEngine,
  filters: Record<string, string[]>,
  onEvent: (event: RuntimeEvent) => void,
  log: Logger,
): () => void {
  let stopped = false;
  let failures = 0;
  let stream: NodeJS.ReadableStream | undefined;
  let timer: NodeJS.Timeout | undefined;

  const lost = (error: Error) => {
    if (stopped) return;
    stream = undefined;
    onEvent({ kind: 'engine-down', engineId: engine.id, error });
    const delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 10_000;
    failures += 1;
    timer = setTimeout(connect, delay);
  };

  function connect(): void {
    if (stopped) return;
    engine.streams.getEvents({ filters: { ...filters, type: ['container'] } }).then(
      (events) => {
        if (stopped) return destroy(events);
        stream = events;
        if (failures > 0) log.info({ engine: engine.id }, 'docker engine reachable again');
        failures = 0;
        onEvent({ kind: 'changed', engineId: engine.id, died: [] });
        events.on('data', (chunk: Buffer) =>
          onEvent({ kind: 'changed', engineId: engine.id, died: deaths(chunk) }),
        );
        events.on('error', (error: Error) => lost(error));
        events.on('end', () => lost(new Error('docker event stream ended')));
      },
      (error: Error) => lost(error),
    );
  }

  connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (stream) destroy(stream);
  };
}

function destroy(stream: NodeJS.ReadableStream): void {
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}

type EngineEvent = {
  status?: string;
  Action?: string;
  id?: string;
  Actor?: { Attributes?: Record<string, string> };
};

/** The "die" events in a chunk of the engine's event stream (one JSON object per line). */
export function deaths(
  chunk: Buffer | string,
): { containerId: string; exitCode: number | undefined }[] {
  const out: { containerId: string; exitCode: number | undefined }[] = [];
  for (const line of chunk.toString().split('\n')) {
    if (!line.trim()) continue;
    let event: EngineEvent;
    try {
      event = JSON.parse(line) as EngineEvent;
    } catch {
      continue;
    }
    if ((event.Action ?? event.status) !== 'die' || !event.id) continue;
    const code = Number(event.Actor?.Attributes?.exitCode);
    out.push({ containerId: event.id, exitCode: Number.isFinite(code) ? code : undefined });
  }
  return out;
}
