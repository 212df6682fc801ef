import type Docker from 'dockerode';
import { LABELS } from './container-labels.ts';
import type { ContainerRole, RunnerSpec } from './runtime.ts';

export type SpecOptions = {
  controllerId: string;
  engineId: string;
  network: string | undefined;
  dind: { image: string; privileged: boolean };
  /** Group owning the engine's socket, added to runners in `host` mode so they may use it. */
  socketGroup: number | undefined;
};

const DIND_SOCKET_DIR = '/var/run/dind';
const DOCKER_GROUP_ID = '123';

export function labelsFor(
  spec: RunnerSpec,
  role: ContainerRole,
  options: SpecOptions,
): Record<string, string> {
  return {
    [LABELS.controller]: options.controllerId,
    [LABELS.pool]: spec.poolId,
    [LABELS.runnerName]: spec.name,
    [LABELS.role]: role,
    [LABELS.engine]: options.engineId,
    ...(spec.jobId === undefined ? {} : { [LABELS.jobId]: String(spec.jobId) }),
  };
}

export const volumeNames = (name: string) => ({ docker: `${name}-docker`, socket: `${name}-sock` });
export const sidecarName = (name: string) => `${name}-dind`;

/** The docker-in-docker sidecar: its own engine, reachable by the runner through a shared socket. */
export function dindContainer(
  spec: RunnerSpec,
  options: SpecOptions,
): Docker.ContainerCreateOptions {
  const volumes = volumeNames(spec.name);
  const security: Docker.HostConfig = options.dind.privileged
    ? { Privileged: true }
    : {
        CapAdd: ['ALL'],
        CapDrop: ['SYS_RESOURCE'],
        SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
        // The CLI's `--security-opt systempaths=unconfined`; the API refuses it as a SecurityOpt.
        MaskedPaths: [],
        ReadonlyPaths: [],
      };
  return {
    name: sidecarName(spec.name),
    Image: options.dind.image,
    Labels: labelsFor(spec, 'dind', options),
    Env: ['DOCKER_TLS_CERTDIR='],
    Cmd: [`--host=unix://${DIND_SOCKET_DIR}/docker.sock`, `--group=${DOCKER_GROUP_ID}`],
    HostConfig: {
      ...security,
      ...(options.network ? { NetworkMode: options.network } : {}),
      Binds: [
        `${volumes.docker}:/var/lib/docker`,
        `${volumes.socket}:${DIND_SOCKET_DIR}`,
        ...(options.dind.privileged ? [] : ['/sys/fs/cgroup:/sys/fs/cgroup:rw']),
      ],
    },
  };
}

/** The runner: only its single-use JIT config, never a token. */
export function runnerContainer(
  spec: RunnerSpec,
  options: SpecOptions,
  sidecarId: string | undefined,
): Docker.ContainerCreateOptions {
  const env = [
    `ACTIONS_RUNNER_INPUT_JITCONFIG=${spec.jitConfig}`,
    'ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1',
  ];
  const host: Docker.HostConfig = {};
  switch (spec.dockerMode) {
    case 'dind':
      env.push(`DOCKER_HOST=unix://${DIND_SOCKET_DIR}/docker.sock`);
      host.NetworkMode = `container:${sidecarId ?? ''}`;
      host.Binds = [`${volumeNames(spec.name).socket}:${DIND_SOCKET_DIR}`];
      break;
    case 'host':
      host.Binds = ['/var/run/docker.sock:/var/run/docker.sock'];
      // The runner image's user is in its own `docker` group, rarely the socket's on this host.
      if (options.socketGroup !== undefined) host.GroupAdd = [String(options.socketGroup)];
      break;
    case 'sysbox':
      host.Runtime = 'sysbox-runc';
      break;
    case 'none':
      break;
  }
  if (spec.dockerMode !== 'dind' && options.network) host.NetworkMode = options.network;
  return {
    name: spec.name,
    Image: spec.image,
    Labels: labelsFor(spec, 'runner', options),
    Env: env,
    HostConfig: host,
  };
}
