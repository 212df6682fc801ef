import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { docker } from './docker-cleanup.ts';
import { waitUntil } from './wait-until.ts';

/** The main engine's pidfile: other dockerds on this machine (extra test engines) are left alone. */
const PIDFILE = '/var/run/docker.pid';

const answers = () =>
  docker.ping().then(
    () => true,
    () => false,
  );

/** Stops the local dockerd (as a crash or an upgrade would) and waits until it no longer answers. */
export async function stopDockerDaemon(): Promise<void> {
  const pid = mainPid();
  if (pid === undefined) throw new Error(`no running dockerd in ${PIDFILE}`);
  process.kill(pid, 'SIGTERM');
  await waitUntil(async () => !(await answers()), 60_000, 'dockerd stopped');
  await waitUntil(() => !alive(pid), 60_000, 'dockerd process gone');
}

/** Starts dockerd the way .ci/ensure-docker.sh does, detached, and waits until it answers. */
export async function startDockerDaemon(): Promise<void> {
  if (await answers()) return;
  const pid = mainPid();
  if (pid === undefined || !alive(pid)) {
    const log = openSync('/tmp/dockerd.log', 'a');
    spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
  }
  await waitUntil(answers, 60_000, 'dockerd answering');
}

function mainPid(): number | undefined {
  try {
    const pid = Number(readFileSync(PIDFILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
