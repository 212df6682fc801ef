import { accessSync, constants, mkdirSync } from 'node:fs';

/** Creates a directory when missing and throws unless this process may write in it. */
export function ensureWritableDir(path: string): void {
  mkdirSync(path, { recursive: true });
  accessSync(path, constants.W_OK);
}
