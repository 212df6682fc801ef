/** Field names that may hold a secret in a log line, at its top level or one level down. */
export const SECRET_FIELDS = [
  'token',
  'secret',
  'privateKey',
  'jitConfig',
  'encodedJitConfig',
  'encoded_jit_config',
  'authorization',
] as const;
/** Request headers that carry a credential or a signature, in a `headers` object. */
const SECRET_HEADERS = ['authorization', 'x-hub-signature-256'] as const;
/** Fields whose serializer keeps only listed fields (serializeError), so nothing to look into. */
const SERIALIZED = new Set(['err']);

export const CENSOR = '[redacted]';

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null;

/** The object with `names` censored where present, copied only then (never changed in place). */
function censored(object: Fields, names: readonly string[]): Fields {
  let copy: Fields | undefined;
  for (const name of names) {
    if (!Object.hasOwn(object, name) || object[name] === undefined) continue;
    copy ??= { ...object };
    copy[name] = CENSOR;
  }
  return copy ?? object;
}

/** A field's value with its secret fields, and its headers' secret ones, censored. */
function censoredValue(value: Fields): Fields {
  const result = censored(value, SECRET_FIELDS);
  const headers = result['headers'];
  if (!isObject(headers)) return result;
  const quiet = censored(headers, SECRET_HEADERS);
  return quiet === headers ? result : { ...result, headers: quiet };
}

/**
 * A log line's fields with the secrets one level down replaced by `[redacted]`: `token`,
 * `secret`, `privateKey`, the JIT configs and `authorization` in an object field, and the
 * `authorization` and signature headers of a `headers` object at the top level or in an object
 * field. Only what holds a secret is copied; the caller's objects are never changed.
 *
 * Top-level secret fields are pino's own `redact` paths (a check per field name, which covers
 * child loggers' bindings too). One level down is this pino `formatters.log` because pino's
 * wildcard paths (`*.token`) run its redactor over every value of every line, tens of µs a
 * line; this is a few property checks.
 */
export function redactNested(fields: Fields): Fields {
  let copy: Fields | undefined;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (!isObject(value) || SERIALIZED.has(key)) continue;
    const quiet = censoredValue(value);
    if (quiet === value) continue;
    copy ??= { ...fields };
    copy[key] = quiet;
  }
  return copy ?? fields;
}
