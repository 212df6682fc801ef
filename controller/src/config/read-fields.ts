import type { ConfigProblem } from './config-types.ts';
import type { FieldKind, SettingMode } from './field-kinds.ts';
import { problemsOf, unknownKeyReason } from './problems.ts';

export type FieldValues = Record<string, unknown>;

/**
 * Reads the known fields of a plain object one by one, so that one wrong value never hides
 * another; with `strict`, a key that is not a field is a problem too (named with the nearest
 * field). Returns the values that are right.
 */
export function readFields(
  raw: Record<string, unknown>,
  fields: Record<string, FieldKind>,
  options: {
    mode: SettingMode;
    where: (key: string) => string;
    problems: ConfigProblem[];
    strict: boolean;
    /** Keys the caller reads itself (id, pools): neither read nor unknown. */
    own?: readonly string[];
  },
): FieldValues {
  const values: FieldValues = {};
  const own = new Set(options.own ?? []);
  const known = [...Object.keys(fields), ...own];
  for (const [key, value] of Object.entries(raw)) {
    if (own.has(key)) continue;
    const kind = fields[key];
    if (!kind) {
      if (options.strict)
        options.problems.push({
          setting: options.where(key),
          reason: unknownKeyReason(key, known),
        });
      continue;
    }
    if (value === undefined) continue;
    const parsed = kind(options.mode).safeParse(value);
    if (parsed.success) values[key] = parsed.data;
    else
      options.problems.push(
        ...problemsOf(parsed.error, (path) => options.where(path === '' ? key : `${key}.${path}`)),
      );
  }
  return values;
}
