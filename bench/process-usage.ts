/** A process's resident memory and CPU time, from /proc (Linux), and a bare Fastify baseline. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { statFields } from '../test/support/rigs/host-processes.ts';
import { median } from './stats.ts';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
const ROOT = new URL('..', import.meta.url).pathname;

/**
 * Resident set size in MB (VmRSS), its peak so far (VmHWM), or its part backed by files (RssFile:
 * the node binary and libraries) or anonymous (RssAnon: heaps, stacks).
 */
export function rssMb(
  pid: number,
  field: 'VmRSS' | 'VmHWM' | 'RssFile' | 'RssAnon' = 'VmRSS',
): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} for process ${pid}`);
  return Number(kb) / 1024;
}

/** CPU seconds used so far (user + system, the process's own threads). */
export function cpuSeconds(pid: number): number {
  // From field 3 (state) on: utime and stime are fields 14 and 15.
  const fields = statFields(`/proc/${pid}/stat`);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Samples a process's RSS every `everyMs` until stopped; stop() gives the median (MB). */
export function rssSampler(pid: number, everyMs = 1_000): { stop: () => number } {
  const samples = [rssMb(pid)];
  const timer = setInterval(() => samples.push(rssMb(pid)), everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      samples.push(rssMb(pid));
      return median(samples);
    },
  };
}

export type CpuWindow = { stop: () => number };

/** Starts a measurement of CPU use; stop() gives the percentage of one core since. */
export function cpuWindow(pid: number): CpuWindow {
  const cpu = cpuSeconds(pid);
  const at = process.hrtime.bigint();
  return {
    stop: () => {
      const seconds = Number(process.hrtime.bigint() - at) / 1e9;
      return ((cpuSeconds(pid) - cpu) / seconds) * 100;
    },
  };
}

const BARE_FASTIFY = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write('listening\\n');
`;

/** A bare Fastify app with one route, on plain Node (no loader), listening and idle. */
export async function startBareFastify(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', BARE_FASTIFY], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  if (!chunk.toString().includes('listening') || child.pid === undefined)
    throw new Error('the bare Fastify baseline did not start');
  return child as ChildProcess & { pid: number };
}
