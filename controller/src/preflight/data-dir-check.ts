import { dirname } from 'node:path';
import { fail, ok, type CheckLine } from './check-line.ts';

export type DirAccess = {
  /** Whether the path exists (and is a directory: undefined when it is something else). */
  isDirectory: (path: string) => boolean | undefined;
  /** Throws unless this process may write in the directory. */
  writable: (path: string) => void;
};

/**
 * DATA_DIR is writable, or can be made (its nearest existing parent is writable), without
 * making it: the preflight changes nothing.
 */
export function dataDirCheck(path: string, access: DirAccess, uid: number | undefined): CheckLine {
  const who = `uid ${uid ?? 'unknown'}`;
  const fix = `set DATA_DIR to a directory ${who} can write, or make it so (chown)`;
  let at = path;
  for (;;) {
    const isDir = access.isDirectory(at);
    if (isDir === undefined) {
      const parent = dirname(at);
      if (parent === at) return fail('data', `DATA_DIR ${path}: no existing parent`, fix);
      at = parent;
      continue;
    }
    if (!isDir) return fail('data', `DATA_DIR ${path}: ${at} is not a directory`, fix);
    try {
      access.writable(at);
    } catch {
      const what = at === path ? `${path} is not writable` : `${path} cannot be made in ${at}`;
      return fail('data', `DATA_DIR ${what} by ${who}`, fix);
    }
    return ok(
      'data',
      at === path ? `DATA_DIR ${path} is writable` : `DATA_DIR ${path} will be made in ${at}`,
    );
  }
}
