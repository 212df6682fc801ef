/**
 * Counts a controller's runner containers from the engine's own events: how many were created,
 * and the greatest number that existed at once (created and not yet destroyed).
 */
import { docker } from '../test/support/harness/docker-cleanup.ts';
import { CONTROLLER_LABEL } from './engine-start.ts';

export type Census = {
  /** Counts from now on (the greatest number at once restarts from those existing now). */
  reset: () => void;
  read: () => { created: number; maxAtOnce: number; existing: number };
  stop: () => void;
};

export async function watchRunners(controllerId: string): Promise<Census> {
  const stream = (await docker.getEvents({
    filters: {
      type: ['container'],
      event: ['create', 'destroy'],
      // Both labels must match: the controller's runners, not the benchmark's direct starts.
      label: [`${CONTROLLER_LABEL}=${controllerId}`, 'io.runner-autoscaler.role=runner'],
    },
  })) as NodeJS.ReadableStream & { destroy: () => void };
  let existing = 0;
  let created = 0;
  let maxAtOnce = 0;
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const event = JSON.parse(line) as { Action: string };
      if (event.Action === 'create') {
        created += 1;
        existing += 1;
        maxAtOnce = Math.max(maxAtOnce, existing);
      } else if (event.Action === 'destroy') existing -= 1;
    }
  });
  return {
    reset: () => {
      created = 0;
      maxAtOnce = existing;
    },
    read: () => ({ created, maxAtOnce, existing }),
    stop: () => stream.destroy(),
  };
}
