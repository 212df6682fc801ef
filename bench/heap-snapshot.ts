/** Heap snapshots of a process started with --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR. */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Signals the process and waits for its new snapshot in `dir` to be complete; returns its path. */
export async function takeHeapSnapshot(pid: number, dir: string, timeoutMs = 120_000) {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  let size = -1;
  while (Date.now() < deadline) {
    await sleep(500);
    const name = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (name === undefined) continue;
    const path = join(dir, name);
    const now = statSync(path).size;
    // Node writes the snapshot's JSON in one go, ending with its strings table.
    if (now > 0 && now === size && lastByte(path, now) === '}') return path;
    size = now;
  }
  throw new Error(`no heap snapshot of process ${pid} in ${dir}`);
}

function lastByte(path: string, size: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1);
    readSync(fd, buffer, 0, 1, size - 1);
    return buffer.toString();
  } finally {
    closeSync(fd);
  }
}
