import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { docker } from '../harness/docker-cleanup.ts';
import { STANDIN_IMAGE, TEST_LABEL } from './runner-image.ts';
import { waitUntil } from '../harness/wait-until.ts';

/** One call of a stand-in script (test/support/images/runner-tarball), as it recorded it. */
export interface StandinCall {
  cmd: string;
  args: string[];
  env: Record<string, string>;
  uid: number;
  cwd: string;
}

export interface StandinRunner {
  container: Docker.Container;
  /** The calls recorded so far, in order. */
  calls: () => Promise<StandinCall[]>;
  /** Waits for a call of `cmd` (the nth, 1-based) and returns it. */
  waitForCall: (cmd: string, nth?: number, timeoutMs?: number) => Promise<StandinCall>;
  /** stdout and stderr of the container so far. */
  logs: () => Promise<string>;
  /** Waits for the container to exit; its exit code. */
  exited: (timeoutMs?: number) => Promise<number>;
}

const RUNNER_UID = 1001;

/**
 * Starts the stand-in runner image (runner-image/ with the stand-in tarball) with `env`, its
 * calls recorded in a host folder mounted at /standin, and `secrets` written to files under
 * /run/secrets readable by the runner user only. `removeAll()` removes every container and
 * folder made so far, whatever state the test left.
 */
export function createStandinRunners(runId: string) {
  const folders: string[] = [];
  const containers: Docker.Container[] = [];

  async function start(
    env: Record<string, string>,
    options: { secrets?: Record<string, string>; binds?: string[] } = {},
  ): Promise<StandinRunner> {
    const records = await mkdtemp(path.join(tmpdir(), 'standin-records-'));
    folders.push(records);
    // The runner user (1001) writes here from inside the container.
    await chmod(records, 0o777);
    const binds = [`${records}:/standin`, ...(options.binds ?? [])];
    for (const [name, value] of Object.entries(options.secrets ?? {})) {
      const file = path.join(records, `${name}.secret`);
      await writeFile(file, `${value}\n`, { mode: 0o400 });
      await chown(file, RUNNER_UID, RUNNER_UID);
      binds.push(`${file}:/run/secrets/${name}:ro`);
    }
    const container = await docker.createContainer({
      Image: STANDIN_IMAGE,
      Env: Object.entries({ STANDIN_RECORDS: '/standin', ...env }).map(([k, v]) => `${k}=${v}`),
      Labels: { [TEST_LABEL]: 'true', 'io.runner-autoscaler.test.run': runId },
      HostConfig: { Binds: binds },
    });
    containers.push(container);
    await container.start();

    const calls = async (): Promise<StandinCall[]> => {
      const text = await readFile(path.join(records, 'calls.jsonl'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as StandinCall);
    };
    return {
      container,
      calls,
      async waitForCall(cmd, nth = 1, timeoutMs = 20_000) {
        return waitUntil(
          async () => (await calls()).filter((call) => call.cmd === cmd)[nth - 1],
          timeoutMs,
          `call ${nth} of ${cmd}`,
          100,
        );
      },
      async logs() {
        const buffer = await container.logs({ stdout: true, stderr: true, follow: false });
        // Multiplexed frames (no TTY): 8-byte headers, then the payload.
        const chunks: Buffer[] = [];
        for (let at = 0; at + 8 <= buffer.length;) {
          const size = buffer.readUInt32BE(at + 4);
          chunks.push(buffer.subarray(at + 8, at + 8 + size));
          at += 8 + size;
        }
        return Buffer.concat(chunks).toString('utf8');
      },
      async exited(timeoutMs = 20_000) {
        const state = await waitUntil(
          async () => {
            const info = await container.inspect();
            return info.State.Running ? undefined : info.State;
          },
          timeoutMs,
          'the runner container to exit',
          100,
        );
        return state.ExitCode;
      },
    };
  }

  async function removeAll(): Promise<void> {
    await Promise.all(
      containers.splice(0).map((c) => c.remove({ force: true, v: true }).catch(() => undefined)),
    );
    const byLabel = await docker.listContainers({
      all: true,
      filters: { label: [`io.runner-autoscaler.test.run=${runId}`] },
    });
    await Promise.all(
      byLabel.map((info) =>
        docker
          .getContainer(info.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
    await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }

  return { start, removeAll };
}
