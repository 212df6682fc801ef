import { z } from 'zod';
import { githubUrlProblem } from './github-url.ts';
import { parseLabels } from './labels.ts';

/**
 * A setting is read from the environment (`env`: always a string, converted) or from a JSON file
 * (`json`: the JSON type must be right; `true` is no number and "5" is no count).
 */
export type SettingMode = 'json' | 'env';
/** How a setting is read and what it gives (`T`): the typed value the resolution reads. */
export type FieldKind<T = unknown> = (mode: SettingMode) => z.ZodType<T>;

/** The values read for some fields, by key: each of its field's type, when set and right. */
export type FieldValues<F> = {
  [K in keyof F]?: F[K] extends FieldKind<infer T> ? T : never;
};

const ENV_FLAGS = ['true', 'false', '1', '0', 'yes', 'no'] as const;
const envFlag = z
  .enum(ENV_FLAGS, { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const text: FieldKind<string> = () => z.string().min(1, 'must not be empty');

export const matching =
  (pattern: RegExp, message: string): FieldKind<string> =>
  () =>
    z.string().regex(pattern, message);

export const count =
  (min: number): FieldKind<number> =>
  (mode) =>
    mode === 'env' ? z.coerce.number().int().min(min) : z.number().int().min(min);

/** A positive number that may have a fraction (CPUs). */
export const amount: FieldKind<number> = (mode) =>
  mode === 'env' ? z.coerce.number().positive() : z.number().positive();

export const flag: FieldKind<boolean> = (mode) => (mode === 'env' ? envFlag : z.boolean());

export const oneOf =
  <T extends readonly [string, ...string[]]>(values: T): FieldKind<T[number]> =>
  () =>
    z.enum(values, { message: `must be one of ${values.join(', ')}` });

/** A number given as digits (an id): JSON may hold it as a number or a string of digits. */
export const digits: FieldKind<string> = (mode) => {
  const asText = z.string().regex(/^\d+$/, 'must be a number');
  return mode === 'env'
    ? asText
    : z.union([z.number().int().nonnegative().transform(String), asText], {
        message: 'must be a number',
      });
};

/** Labels: a comma-separated string, or (JSON) an array of strings. */
export const labels: FieldKind<string[]> = (mode) =>
  (mode === 'env'
    ? z.string()
    : z.union([z.string(), z.array(z.string())], {
        message: 'must be a comma-separated string or a list of strings',
      })
  )
    .transform((value) => parseLabels(value))
    .refine((list) => list.length > 0, 'must name at least one label');

export const httpUrl: FieldKind<string> = () =>
  z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

export const githubUrl: FieldKind<string> = () =>
  z.string().superRefine((value, context) => {
    const problem = githubUrlProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });

const KEY_VALUE = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Docker-style labels: a JSON object of strings, or (env) `key=value,key=value`. */
export const keyValues: FieldKind<Record<string, string>> = (mode) => {
  const record = z.record(
    z.string().regex(KEY_VALUE, 'keys are letters, digits, . _ / -'),
    z.string(),
  );
  if (mode === 'json') return record;
  return z.string().transform((value, context) => {
    const out: Record<string, string> = {};
    for (const part of value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const at = part.indexOf('=');
      const key = at < 0 ? part : part.slice(0, at);
      if (!KEY_VALUE.test(key)) {
        context.addIssue({ code: 'custom', message: 'must be key=value pairs, comma-separated' });
        return z.NEVER;
      }
      out[key] = at < 0 ? '' : part.slice(at + 1);
    }
    return out;
  });
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i;
const UNIT: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** A size in bytes: a number, or a string such as `512m`, `4g`, `1.5GiB`. */
export const size: FieldKind<number> = (mode) => {
  const fromText = z.string().transform((value, context) => {
    const match = SIZE.exec(value.trim());
    const unit = UNIT[(match?.[2] ?? '').toLowerCase()];
    if (!match || unit === undefined) {
      context.addIssue({ code: 'custom', message: 'must be a size such as 512m or 4g' });
      return z.NEVER;
    }
    return Math.round(Number(match[1]) * unit);
  });
  const positive = (schema: z.ZodType<number>) => schema.refine((n) => n > 0, 'must be positive');
  return mode === 'env'
    ? positive(fromText)
    : positive(z.union([z.number().int(), fromText], { message: 'must be a size such as 4g' }));
};
