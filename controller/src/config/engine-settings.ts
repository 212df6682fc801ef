import { z } from 'zod';
import { PLATFORMS, type Platform } from './pool-settings.ts';

export type EngineEndpoint =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls: TlsFiles | undefined }
  | {
      kind: 'ssh';
      user: string | undefined;
      host: string;
      port: number;
      keyFile: string | undefined;
      /** OpenSSH known_hosts with the host's key: no host key is trusted unseen. */
      knownHostsFile: string;
    };

/** Paths of TLS client files: read when connecting, never kept in the configuration. */
export type TlsFiles = { ca: string; cert: string; key: string };

/** One Docker engine runners may be placed on. */
export type EngineConfig = {
  name: string;
  endpoint: EngineEndpoint;
  /** A Docker context this entry came from, if any (its endpoint and TLS files are used). */
  context: string | undefined;
  capacity: number;
  /** Platforms it runs; undefined: found out from the engine (its own, plus emulated ones). */
  platforms: Platform[] | undefined;
  labels: Record<string, string>;
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export const EngineEntry = z.strictObject({
  name: z.string().regex(NAME, 'must be 1-63 letters, digits, ".", "_" or "-"'),
  endpoint: z
    .string()
    .regex(/^(unix|tcp|ssh):\/\//, 'must be unix:///path, tcp://host:port or ssh://user@host')
    .optional(),
  context: z.string().min(1).optional(),
  tls: z
    .strictObject({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) })
    .optional(),
  ssh_key_file: z.string().min(1).optional(),
  ssh_known_hosts_file: z.string().min(1).optional(),
  capacity: z
    .number({
      error: (issue) =>
        issue.input === undefined
          ? 'required: how many runners (each with its dind sidecar) the engine may hold'
          : 'must be a whole number',
    })
    .int()
    .min(1),
  platforms: z
    .array(z.enum(PLATFORMS, { message: `must be ${PLATFORMS.join(' or ')}` }))
    .min(1)
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type EngineEntry = z.infer<typeof EngineEntry>;

/** Reads an endpoint URL; undefined when it is not one Docker's API can be reached at. */
export function parseEndpoint(
  value: string,
  files: {
    tls: TlsFiles | undefined;
    sshKeyFile: string | undefined;
    sshKnownHostsFile: string | undefined;
  },
): EngineEndpoint | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  switch (url.protocol) {
    case 'unix:':
      return url.pathname ? { kind: 'unix', socketPath: url.pathname } : undefined;
    case 'tcp:':
      if (!url.hostname) return undefined;
      return {
        kind: 'tcp',
        host: url.hostname,
        port: Number(url.port || (files.tls ? 2376 : 2375)),
        tls: files.tls,
      };
    case 'ssh:':
      if (!url.hostname || files.sshKnownHostsFile === undefined) return undefined;
      return {
        kind: 'ssh',
        user: url.username || undefined,
        host: url.hostname,
        port: Number(url.port || 22),
        keyFile: files.sshKeyFile,
        knownHostsFile: files.sshKnownHostsFile,
      };
    default:
      return undefined;
  }
}

/** An endpoint as it may be shown (health, logs): no credentials, no file paths. */
export function describeEndpoint(endpoint: EngineEndpoint): string {
  switch (endpoint.kind) {
    case 'unix':
      return `unix://${endpoint.socketPath}`;
    case 'tcp':
      return `tcp://${endpoint.host}:${endpoint.port}${endpoint.tls ? ' (tls)' : ''}`;
    case 'ssh':
      return `ssh://${endpoint.user ? `${endpoint.user}@` : ''}${endpoint.host}:${endpoint.port}`;
  }
}
