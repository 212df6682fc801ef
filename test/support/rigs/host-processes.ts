import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Processes and mounts of this machine, read from /proc: how a rig finds everything an engine it
 * started left behind (its dockerd, containerd, shims and their containers; overlay and netns
 * mounts), also when the test process that started it died.
 */
export type HostProcess = { pid: number; ppid: number; cmdline: string };

/**
 * The fields of a process's (or thread's) stat file from its state on: the command name before
 * them may hold spaces and parentheses, so they start after the last ')'.
 */
export function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function hostProcesses(): HostProcess[] {
  const found: HostProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const ppid = Number(statFields(`/proc/${entry}/stat`)[1]);
      found.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/**
 * Processes whose command line names a path under `root`, and their descendants (a container's
 * first process is a child of its shim, an SSH session one of sshd: neither names the root).
 */
export function processesUnder(root: string): HostProcess[] {
  const all = hostProcesses();
  const owned = new Set(all.filter((p) => p.cmdline.includes(`${root}/`)).map((p) => p.pid));
  for (let grown = true; grown;) {
    grown = false;
    for (const p of all) {
      if (owned.has(p.ppid) && !owned.has(p.pid)) {
        owned.add(p.pid);
        grown = true;
      }
    }
  }
  return all.filter((p) => owned.has(p.pid));
}

/** Gone, or a zombie nobody reaps yet (this machine's init is slow to reap orphans). */
export function isGone(pid: number): boolean {
  try {
    return statFields(`/proc/${pid}/stat`)[0] === 'Z';
  } catch {
    return true;
  }
}

/**
 * Every thread of `pid` is stopped (state T). A SIGSTOP is not synchronous: the kernel hands it
 * to one thread, and while that thread sits in an uninterruptible wait (a page fault on a busy
 * disk) the others run on, answering requests.
 */
export function isStopped(pid: number): boolean {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    return (
      tasks.length > 0 &&
      tasks.every((tid) => statFields(`/proc/${pid}/task/${tid}/stat`)[0] === 'T')
    );
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Detaches every mount at or under `root`, deepest first (lazily: a busy one goes too). */
export function unmountUnder(root: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => !!point && (point === root || point.startsWith(`${root}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // already detached with its parent
    }
  }
}
