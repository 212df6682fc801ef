import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteBridge } from './rig-bridge.ts';
import { isAlive, isGone, processesUnder, signal, unmountUnder } from './host-processes.ts';
import { waitUntil } from '../harness/wait-until.ts';

/** Every rig (extra engine, private sshd) lives in a directory named so, under the temp dir. */
const RIG_PREFIX = 'autoscaler-xd-';

/**
 * A fresh directory for a rig, owned by this process: when the process dies before its
 * afterAll (killed worker, Ctrl-C), the next rig started on this machine removes it.
 */
export async function makeRigDir(name: string): Promise<string> {
  await reapLeftoverRigs();
  const root = mkdtempSync(join(tmpdir(), `${RIG_PREFIX}${name}-`));
  writeFileSync(join(root, 'owner'), String(process.pid));
  return root;
}

/**
 * Kills every process of the rig under `root` at once (for an engine: dockerd, its containerd,
 * the shims and the containers, as a power loss would) and waits until none is left.
 */
export async function killRigProcesses(root: string, timeoutMs = 20_000): Promise<void> {
  const pids = processesUnder(root).map((p) => p.pid);
  signal(pids, 'SIGKILL');
  await waitUntil(() => pids.every(isGone), timeoutMs, `processes of ${root} gone`);
}

/** Removes what a rig left on the host: processes, mounts, cgroups, bridge, directory. */
export async function removeRigDir(root: string): Promise<void> {
  await killRigProcesses(root);
  await removeContainerCgroups(join(root, 'data', 'containers'));
  unmountUnder(root);
  const bridgeFile = join(root, 'bridge');
  if (existsSync(bridgeFile)) deleteBridge(readFileSync(bridgeFile, 'utf8').trim());
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Rigs whose owner file names a process that is gone. Rigs of live processes (another
 * engineer's run on this shared machine) are left alone.
 */
export async function reapLeftoverRigs(): Promise<string[]> {
  const reaped: string[] = [];
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(RIG_PREFIX)) continue;
    const root = join(tmpdir(), entry);
    const owner = Number(readText(join(root, 'owner')));
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) continue;
    await removeRigDir(root);
    reaped.push(root);
  }
  return reaped;
}

/**
 * Containers killed with their engine leave their cgroups, which only that engine's cleanup
 * would remove (cgroupfs driver; v1: one tree per controller, v2: one tree). A cgroup stays
 * busy for a moment after its processes are killed, so removal is retried until it is gone.
 */
async function removeContainerCgroups(containersDir: string): Promise<void> {
  if (!existsSync(containersDir)) return;
  const ids = readdirSync(containersDir).filter((id) => /^[0-9a-f]{64}$/.test(id));
  if (ids.length === 0) return;
  const trees = readdirSync('/sys/fs/cgroup').map((tree) => join('/sys/fs/cgroup', tree));
  const dirs = ['/sys/fs/cgroup', ...trees].flatMap((base) =>
    ids.map((id) => join(base, 'docker', id)),
  );
  await waitUntil(() => dirs.every(removedCgroup), 10_000, 'cgroups of killed containers removed');
}

function removedCgroup(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EBUSY';
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}
