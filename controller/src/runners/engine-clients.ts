import type { Agent } from 'node:http';
import Docker from 'dockerode';
import type { EngineConfig } from '../config/engine-settings.ts';
import { describeEndpoint } from '../config/engine-settings.ts';
import type { DockerEngine } from './docker-engine.ts';
import { sshDockerAgent } from './ssh-agent.ts';

const LOCAL_SOCKET = '/var/run/docker.sock';

export type EngineClientSources = {
  /** Reads a TLS or SSH key file: keys come from files, never from the environment. */
  readFile: (path: string) => Buffer;
  /** The group owning a local socket, for runners that use it (`host` mode). */
  socketGroup: (path: string) => number | undefined;
  apiTimeoutMs: number;
};

/**
 * Dockerode clients for the configured engines (or the local socket, holding `maxRunners`):
 * one with a timeout for API calls, one without for event streams and pulls.
 */
export function dockerEngines(
  engines: readonly EngineConfig[] | undefined,
  maxRunners: number,
  sources: EngineClientSources,
): DockerEngine[] {
  const list: readonly EngineConfig[] = engines ?? [
    {
      name: 'local',
      endpoint: { kind: 'unix', socketPath: LOCAL_SOCKET },
      context: undefined,
      capacity: maxRunners,
      platforms: undefined,
      labels: {},
    },
  ];
  return list.map((engine) => {
    const options = clientOptions(engine, sources);
    // docker-modem's timeout calls setTimeout on the request's socket, which an SSH channel
    // lacks (it throws); the runtime bounds its listings itself.
    const timeout = engine.endpoint.kind === 'ssh' ? {} : { timeout: sources.apiTimeoutMs };
    return {
      id: engine.name,
      docker: new Docker({ ...options, ...timeout }),
      streams: new Docker(options),
      capacity: engine.capacity,
      endpoint: describeEndpoint(engine.endpoint),
      labels: engine.labels,
      platforms: engine.platforms,
      socketGroup:
        engine.endpoint.kind === 'unix'
          ? sources.socketGroup(engine.endpoint.socketPath)
          : undefined,
    };
  });
}

/** docker-modem takes an HTTP agent (`agent`), which the type definitions leave out. */
type ClientOptions = Docker.DockerOptions & { agent?: Agent };

function clientOptions(engine: EngineConfig, sources: EngineClientSources): ClientOptions {
  const endpoint = engine.endpoint;
  switch (endpoint.kind) {
    case 'unix':
      return { socketPath: endpoint.socketPath };
    case 'tcp':
      return endpoint.tls
        ? {
            protocol: 'https',
            host: endpoint.host,
            port: endpoint.port,
            ca: sources.readFile(endpoint.tls.ca),
            cert: sources.readFile(endpoint.tls.cert),
            key: sources.readFile(endpoint.tls.key),
          }
        : { protocol: 'http', host: endpoint.host, port: endpoint.port };
    case 'ssh': {
      const known = knownHostKeys(
        sources.readFile(endpoint.knownHostsFile).toString('utf8'),
        endpoint.host,
        endpoint.port,
      );
      const agent = sshDockerAgent({
        host: endpoint.host,
        port: endpoint.port,
        ...(endpoint.user ? { username: endpoint.user } : {}),
        ...(endpoint.keyFile ? { privateKey: sources.readFile(endpoint.keyFile) } : {}),
        // ssh2 trusts any host key unless told which: only those known_hosts lists are.
        hostVerifier: (key: Buffer) => known.some((k) => k.equals(key)),
      });
      // HTTP over the agent's channels: the host name below is never resolved.
      return { protocol: 'http', host: endpoint.host, port: endpoint.port, agent };
    }
  }
}

/**
 * The keys a known_hosts file lists for a host (`host`, or `[host]:port` off port 22), as the
 * wire carries them. Hashed entries (`|1|…`) are not read: list the host in plain text.
 */
export function knownHostKeys(text: string, host: string, port: number): Buffer[] {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  const keys: Buffer[] = [];
  for (const line of text.split('\n')) {
    const [hosts = '', , key] = line.trim().split(/\s+/);
    if (!key || line.trim().startsWith('#')) continue;
    if (hosts.split(',').some((name) => names.includes(name)))
      keys.push(Buffer.from(key, 'base64'));
  }
  return keys;
}
