import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ConfigProblem } from './config-types.ts';
import { EngineEntry, parseEndpoint, type EngineConfig, type TlsFiles } from './engine-settings.ts';
import { problemsOf, unreadableReason } from './problems.ts';

const ENGINE_KEYS = Object.keys(EngineEntry.shape);

type ContextMeta = { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };

/**
 * DOCKER_ENGINES: a JSON list of engines (or `@/path/file.json`). An entry may name a Docker
 * context (`docker context ls`) instead of an endpoint: its endpoint and TLS files are read from
 * the context store (DOCKER_CONFIG, else ~/.docker). Undefined when unset: the local socket.
 */
export function loadEngines(
  value: string | undefined,
  env: Record<string, string>,
  readFile: (path: string) => string,
  uid: number | undefined,
  problems: ConfigProblem[],
): EngineConfig[] | undefined {
  if (value === undefined) return undefined;
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFile(value.slice(1));
    } catch (error) {
      problems.push({
        setting: 'DOCKER_ENGINES',
        reason: unreadableReason(value.slice(1), error, uid),
      });
      return undefined;
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const path = /^[./~]/.test(value.trim());
    problems.push({
      setting: 'DOCKER_ENGINES',
      reason: path
        ? `is not valid JSON; to read a file, write @${value.trim()}`
        : 'is not valid JSON',
    });
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({
      setting: 'DOCKER_ENGINES',
      reason: 'must be a JSON list of at least one engine',
    });
    return undefined;
  }
  const contexts = env.DOCKER_CONFIG ?? join(env.HOME ?? '/root', '.docker');
  const names = new Set<string>();
  const engines: EngineConfig[] = [];
  raw.forEach((entry: unknown, index) => {
    const where = (key: string) => `DOCKER_ENGINES[${index}]${key ? `.${key}` : ''}`;
    const parsed = EngineEntry.safeParse(entry);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error, where, ENGINE_KEYS));
      return;
    }
    const e = parsed.data;
    if (names.has(e.name)) {
      problems.push({ setting: where('name'), reason: `duplicate engine name "${e.name}"` });
      return;
    }
    names.add(e.name);
    const fromContext = e.context ? readContext(e.context, contexts, readFile) : undefined;
    if (e.context && typeof fromContext === 'string') {
      problems.push({ setting: where('context'), reason: fromContext });
      return;
    }
    if (e.endpoint === undefined && fromContext === undefined) {
      problems.push({ setting: where('endpoint'), reason: 'set an endpoint or a Docker context' });
      return;
    }
    const tls = e.tls ?? (typeof fromContext === 'object' ? fromContext.tls : undefined);
    const endpointText = e.endpoint ?? (typeof fromContext === 'object' ? fromContext.host : '');
    if (endpointText.startsWith('ssh://') && e.ssh_known_hosts_file === undefined) {
      problems.push({
        setting: where('ssh_known_hosts_file'),
        reason:
          'an ssh engine needs a known_hosts file with its host key (ssh-keyscan -p PORT HOST)',
      });
      return;
    }
    // Read now, so that a missing or unreadable file is named here and not when connecting.
    const unreadable = unreadableFiles(
      e,
      fromContext === undefined ? undefined : tls,
      readFile,
      uid,
    );
    if (unreadable.length > 0) {
      for (const [key, reason] of unreadable) problems.push({ setting: where(key), reason });
      return;
    }
    const endpoint = parseEndpoint(endpointText, {
      tls,
      sshKeyFile: e.ssh_key_file,
      sshKnownHostsFile: e.ssh_known_hosts_file,
    });
    if (!endpoint) {
      problems.push({
        setting: where('endpoint'),
        reason: 'must be unix:///path, tcp://host:port or ssh://user@host',
      });
      return;
    }
    engines.push({
      name: e.name,
      endpoint,
      context: e.context,
      capacity: e.capacity,
      platforms: e.platforms,
      labels: e.labels ?? {},
    });
  });
  return engines;
}

/** A context's Docker endpoint and TLS files, or why it cannot be used. */
function readContext(
  name: string,
  dockerConfig: string,
  readFile: (path: string) => string,
): { host: string; tls: TlsFiles | undefined } | string {
  const digest = createHash('sha256').update(name).digest('hex');
  const metaFile = join(dockerConfig, 'contexts', 'meta', digest, 'meta.json');
  let meta: ContextMeta;
  try {
    meta = JSON.parse(readFile(metaFile)) as ContextMeta;
  } catch {
    return `Docker context "${name}" not found in ${dockerConfig}/contexts`;
  }
  const host = meta.Endpoints?.docker?.Host;
  if (!host) return `Docker context "${name}" has no Docker endpoint`;
  const tlsDir = join(dockerConfig, 'contexts', 'tls', digest, 'docker');
  const files = {
    ca: join(tlsDir, 'ca.pem'),
    cert: join(tlsDir, 'cert.pem'),
    key: join(tlsDir, 'key.pem'),
  };
  let hasTls = true;
  try {
    readFile(files.cert);
  } catch {
    hasTls = false;
  }
  return { host, tls: host.startsWith('tcp://') && hasTls ? files : undefined };
}

/**
 * The engine's TLS and SSH files the controller cannot read, by setting (`tls.ca`, ...): the
 * files of a context (`contextTls`) under `context`.
 */
function unreadableFiles(
  entry: EngineEntry,
  contextTls: TlsFiles | undefined,
  readFile: (path: string) => string,
  uid: number | undefined,
): [string, string][] {
  const files: [string, string | undefined][] = [
    ['tls.ca', entry.tls?.ca],
    ['tls.cert', entry.tls?.cert],
    ['tls.key', entry.tls?.key],
    ['ssh_key_file', entry.ssh_key_file],
    ['ssh_known_hosts_file', entry.ssh_known_hosts_file],
    ...(entry.tls
      ? []
      : (['ca', 'cert', 'key'] as const).map((k): [string, string | undefined] => [
          'context',
          contextTls?.[k],
        ])),
  ];
  const out: [string, string][] = [];
  for (const [key, path] of files) {
    if (path === undefined) continue;
    try {
      readFile(path);
    } catch (error) {
      out.push([key, unreadableReason(path, error, uid)]);
    }
  }
  return out;
}
