import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ControllerProcess = {
  url: string;
  /** The controller's own process (node itself, no wrapper): for /proc/<pid>/… and signals. */
  pid: number;
  dataDir: string;
  /** Every line the controller wrote, stdout and stderr. */
  output: () => string;
  /** Parsed JSON log lines. */
  logs: () => Record<string, unknown>[];
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  kill: () => Promise<void>;
};

const ROOT = new URL('../../..', import.meta.url).pathname;

export type ControllerProcessOptions = {
  dataDir?: string;
  timeoutMs?: number;
  /**
   * Run the compiled build (`npm run build` first) with the image's CMD (its node options
   * too), not the sources.
   */
  build?: boolean;
  /** Node options before the entry point (e.g. `--heapsnapshot-signal=SIGUSR2`). */
  nodeArgs?: string[];
};

/**
 * Runs the controller exactly as `npm start` does (or as the image does, `build`), as a child
 * process configured only through its documented environment.
 */
export async function startControllerProcess(
  env: Record<string, string>,
  options: ControllerProcessOptions = {},
): Promise<ControllerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'autoscaler-data-'));
  const entry = options.build ? imageCommand() : ['--import', 'tsx', 'controller/src/main.ts'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const logs = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const url = await waitForAddress(logs, exited, options.timeoutMs ?? 20_000, () => output);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url,
    pid: child.pid ?? 0,
    dataDir,
    output: () => output,
    logs,
    stop,
    kill: async () => {
      await stop('SIGKILL');
    },
  };
}

async function waitForAddress(
  logs: () => Record<string, unknown>[],
  exited: Promise<number | null>,
  timeoutMs: number,
  output: () => string,
): Promise<string> {
  let done: number | null | undefined;
  void exited.then((code) => (done = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = logs().find((entry) => entry.msg === 'controller listening');
    if (typeof line?.address === 'string') return line.address;
    if (done !== undefined) throw new Error(`controller exited with ${String(done)}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`controller did not start within ${timeoutMs} ms:\n${output()}`);
}

/** The image's CMD (node's arguments: its options and the compiled entry point). */
function imageCommand(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'controller/Dockerfile'), 'utf8');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  if (cmd === undefined) throw new Error('controller/Dockerfile has no CMD in JSON form');
  return JSON.parse(cmd) as string[];
}

/** The node options of the image's CMD (what comes before the entry point). */
export function imageNodeOptions(): string[] {
  return imageCommand().filter((arg) => arg.startsWith('--'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export type { ChildProcess };
