import type { ConfigProblem } from './config-types.ts';

/**
 * DATA_DIR must be writable before anything listens: the webhook secrets and cursors go there.
 * `/data`, the default, exists in the image; a non-root `npm start` must name another.
 */
export function dataDirProblems(
  path: string,
  ensureWritable: (path: string) => void,
  uid: number | undefined,
): ConfigProblem[] {
  try {
    ensureWritable(path);
    return [];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const uidText = uid === undefined ? '' : ` (uid ${uid})`;
    const fix = 'set DATA_DIR to a directory it can write (npm start: DATA_DIR=./data)';
    const why =
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `${path} cannot be created or written by the controller's user${uidText}`
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? `${path} is not a directory`
          : `${path} cannot be used (${code ?? 'unknown error'})`;
    return [{ setting: 'DATA_DIR', reason: `${why}; ${fix}` }];
  }
}
