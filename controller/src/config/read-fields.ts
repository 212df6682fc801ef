import type { ConfigProblem } from './config-types.ts';
import type { FieldKind, FieldValues, SettingMode } from './field-kinds.ts';
import { problemsOf, unknownKeyReason } from './problems.ts';

/**
 * Reads the known fields of a plain object one by one, so that one wrong value never hides
 * another; with `strict`, a key that is not a field is a problem too (named with the nearest
 * field). Returns the values that are right.
 */
export function readFields<F extends Record<string, FieldKind>>(
  raw: Record<string, unknown>,
  fields: F,
  options: {
    mode: SettingMode;
    where: (key: string) => string;
    problems: ConfigProblem[];
    strict: boolean;
    /** Keys the caller reads itself (id, pools): neither read nor unknown. */
    own?: readonly string[];
  },
): FieldValues<F> {
  const values: Record<string, unknown> = {};
  const own = new Set(options.own ?? []);
  const known = [...Object.keys(fields), ...own];
  for (const [key, value] of Object.entries(raw)) {
    if (own.has(key)) continue;
    const kind: FieldKind | undefined = fields[key];
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
  // Each value was parsed by its own field's kind: it has that field's type.
  return values as FieldValues<F>;
}
