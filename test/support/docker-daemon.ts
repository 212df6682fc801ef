import { execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { docker } from './docker-cleanup.ts';
import { waitUntil } from './wait-until.ts';

const answers = () =>
  docker.ping().then(
    () => true,
    () => false,
  );

/** Stops the local dockerd (as a crash or an upgrade would) and waits until it no longer answers. */
export async function stopDockerDaemon(): Promise<void> {
  execFileSync('pkill', ['-TERM', '-x', 'dockerd']);
  await waitUntil(async () => !(await answers()), 60_000, 'dockerd stopped');
  await waitUntil(() => !isRunning(), 60_000, 'dockerd process gone');
}

/** Starts dockerd the way .ci/ensure-docker.sh does, detached, and waits until it answers. */
export async function startDockerDaemon(): Promise<void> {
  if (await answers()) return;
  if (!isRunning()) {
    const log = openSync('/tmp/dockerd.log', 'a');
    spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
  }
  await waitUntil(answers, 60_000, 'dockerd answering');
}

function isRunning(): boolean {
  try {
    execFileSync('pgrep', ['-x', 'dockerd'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
