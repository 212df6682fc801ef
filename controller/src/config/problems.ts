import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import type { ConfigProblem } from './config-types.ts';

/**
 * zod's issues as problems named where the user wrote them (`name` turns a key path into the
 * setting's name). An unknown key is named with the nearest known one: `max_runer` is most
 * likely `max_runners`. No value is ever echoed.
 */
export function problemsOf(
  error: z.ZodError,
  name: (path: string) => string,
  knownKeys: readonly string[] = [],
): ConfigProblem[] {
  return error.issues.flatMap((issue): ConfigProblem[] => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        setting: name([...path, key].join('.')),
        reason: unknownKeyReason(key, knownKeys),
      }));
    }
    return [{ setting: name(path.join('.')), reason: issue.message }];
  });
}

export function unknownKeyReason(key: string, knownKeys: readonly string[]): string {
  const hint = nearest(key, knownKeys);
  return hint ? `unknown setting; did you mean "${hint}"?` : 'unknown setting';
}

/** The nearest known name, when it is near enough to be a likely misspelling. */
export function nearest(key: string, knownKeys: readonly string[]): string | undefined {
  if (knownKeys.length === 0) return undefined;
  const best = closest(
    key.toLowerCase(),
    knownKeys.map((k) => k.toLowerCase()),
  );
  const found = knownKeys.find((k) => k.toLowerCase() === best);
  if (found === undefined) return undefined;
  return distance(key.toLowerCase(), best) <= Math.max(2, Math.floor(best.length / 4))
    ? found
    : undefined;
}

/** Why a file could not be read, without its content: missing, unreadable (by whom), ... */
export function unreadableReason(path: string, error: unknown, uid: number | undefined): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `${path} does not exist`;
    case 'EACCES':
    case 'EPERM':
      return `${path} cannot be read by the controller's user${uid === undefined ? '' : ` (uid ${uid})`}: permission denied`;
    case 'EISDIR':
      return `${path} is a directory, not a file`;
    case undefined:
    default:
      return `${path} cannot be read`;
  }
}
