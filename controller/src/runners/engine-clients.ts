import Docker from 'dockerode';
import type { EngineConfig } from '../config/engine-settings.ts';
import { describeEndpoint } from '../config/engine-settings.ts';
import type { DockerEngine } from './docker-engine.ts';

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
    return {
      id: engine.name,
      docker: new Docker({ ...options, timeout: sources.apiTimeoutMs }),
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

function clientOptions(engine: EngineConfig, sources: EngineClientSources): Docker.DockerOptions {
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
    case 'ssh':
      return {
        protocol: 'ssh',
        host: endpoint.host,
        port: endpoint.port,
        ...(endpoint.user ? { username: endpoint.user } : {}),
        ...(endpoint.keyFile
          ? { sshOptions: { privateKey: sources.readFile(endpoint.keyFile) } }
          : {}),
      };
  }
}
