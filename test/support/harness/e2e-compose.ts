import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The parts of a resolved compose file the e2e tests look at, the same for compose v1 and v2. */
export type ComposeService = {
  image?: string;
  build?: {
    context?: string;
    dockerfile?: string;
    args?: Record<string, string | null>;
    labels?: Record<string, string>;
  };
  pull_policy?: string;
  scale?: number;
  environment?: Record<string, string | null>;
  group_add?: (string | number)[];
  ports?: unknown[];
  volumes?: unknown[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: { test?: string[] | string };
  restart?: string;
  profiles?: string[];
  networks?: string[] | Record<string, unknown>;
};
export type ComposeConfig = {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { name?: string } | null>;
};

export type PortBinding = { hostIp: string | undefined; published: string; target: string };
export type Mount = {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string;
  target: string;
  readOnly: boolean;
};

/**
 * `config` of a compose file, as JSON: Debian's docker-compose 1.29 prints only YAML, which
 * python3's yaml module (a dependency of that docker-compose) converts; compose v2 prints JSON.
 */
export async function composeConfig(options: {
  file: string | string[];
  projectDirectory: string;
  projectName: string;
  env: Record<string, string>;
}): Promise<ComposeConfig> {
  const files = Array.isArray(options.file) ? options.file : [options.file];
  const args = [
    ...files.flatMap((file) => ['-f', file]),
    '--project-directory',
    options.projectDirectory,
    '-p',
    options.projectName,
    'config',
  ];
  const execOptions = { env: options.env, maxBuffer: 4 * 1024 * 1024 };
  if (await succeeds('docker-compose', ['version'], options.env)) {
    const { stdout } = await run('docker-compose', args, execOptions);
    const child = run('python3', [
      '-c',
      'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)',
    ]);
    child.child.stdin?.end(stdout);
    return JSON.parse((await child).stdout) as ComposeConfig;
  }
  const { stdout } = await run('docker', ['compose', ...args, '--format', 'json'], execOptions);
  return JSON.parse(stdout) as ComposeConfig;
}

async function succeeds(command: string, args: string[], env: Record<string, string>) {
  try {
    await run(command, args, { env });
    return true;
  } catch {
    return false;
  }
}

/** Ports in either the short ("127.0.0.1:8080:8080/tcp") or the long form. */
export function portBindings(service: ComposeService): PortBinding[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'string' || typeof port === 'number') {
      const parts = String(port)
        .replace(/\/(tcp|udp)$/, '')
        .split(':');
      const target = parts.pop() ?? '';
      const published = parts.pop() ?? '';
      return { hostIp: parts.length > 0 ? parts.join(':') : undefined, published, target };
    }
    const long = port as { host_ip?: string; published?: string | number; target: string | number };
    return {
      hostIp: long.host_ip,
      published: long.published === undefined ? '' : String(long.published),
      target: String(long.target),
    };
  });
}

/** Volumes in either the short ("src:/target:ro") or the long form. */
export function mounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume === 'string') {
      const [source = '', target = '', mode = 'rw'] = volume.split(':');
      const type = source.startsWith('/') || source.startsWith('.') ? 'bind' : 'volume';
      return { type, source, target, readOnly: mode.split(',').includes('ro') };
    }
    const long = volume as {
      type: Mount['type'];
      source?: string;
      target: string;
      read_only?: boolean;
    };
    return {
      type: long.type,
      source: long.source ?? '',
      target: long.target,
      readOnly: long.read_only === true,
    };
  });
}
