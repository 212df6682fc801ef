import type Docker from 'dockerode';
import type { ContainerLimits } from '../config/config-types.ts';
import { LABELS } from './container-labels.ts';
import type { ContainerRole, RunnerSpec } from './runtime.ts';

export type SpecOptions = {
  controllerId: string;
  engineId: string;
  /** Group owning the engine's socket, added to runners in `host` mode so they may use it. */
  socketGroup: number | undefined;
};

export const DIND_SOCKET_DIR = '/var/run/dind';
/**
 * Where the runner image keeps the runner (as the official actions-runner image does). The runner
 * gives the job's engine bind mounts of its own folders (actions/runner's
 * ContainerOperationProvider.cs and ContainerActionHandler.cs: the work folder as /__w, the
 * externals as /__e, `_work/_temp/...` as /github/home, /github/workflow, /github/file_commands,
 * the workspace as /github/workspace), and the engine resolves those paths in its own filesystem:
 * they must hold the same content there.
 */
export const RUNNER_HOME = '/home/runner';
export const RUNNER_WORK_DIR = `${RUNNER_HOME}/_work`;
export const RUNNER_EXTERNALS_DIR = `${RUNNER_HOME}/externals`;
/** The socket the runner mounts into job and action containers (ContainerInfo.cs). */
const JOB_DOCKER_SOCKET = '/var/run/docker.sock';
const DOCKER_GROUP_ID = '123';
/**
 * Docker's default capabilities, plus what dockerd itself needs: mounts (overlay layers, its
 * containers' filesystems) and its bridge network with iptables. Nothing for modules, raw I/O,
 * ptrace, clocks or reboots, which `--privileged` and `--cap-add ALL` would also grant.
 */
const DIND_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
  'SYS_ADMIN',
  'NET_ADMIN',
];
/**
 * Where the sidecar's dockerd puts its containers' cgroups, relative to its own: on a cgroup v1
 * host it sees the host's hierarchy, and would otherwise create them beside the sidecar, out of
 * reach of the sidecar's CPU, memory and pids limits.
 */
const NESTED_CGROUP_PARENT = 'jobs';

/** What the runtime knows of the engine a sidecar is made on, and which cache it holds. */
export type SidecarOptions = {
  /**
   * The runner image shares its folders (RUNNER_FOLDERS_LABEL): its work folder and externals
   * are mounted here too. An image without it gets the sidecar of earlier versions.
   */
  sharedFolders: boolean;
  /** The volume for its /var/lib/docker: the runner's own, or a leased cache volume. */
  dataVolume: string;
  /** Set when `dataVolume` is a pool's cache volume: the sidecar carries its lease as a label. */
  cacheVolume: string | undefined;
  /** The engine's cgroup version ('1', '2'), if known. */
  cgroupVersion: string | undefined;
};

/** The labels that find a container again (ours win over a pool's own extra labels). */
export function labelsFor(
  spec: RunnerSpec,
  role: ContainerRole,
  options: SpecOptions,
): Record<string, string> {
  return {
    ...spec.pool.containerLabels,
    [LABELS.controller]: options.controllerId,
    [LABELS.repo]: spec.pool.repoId,
    [LABELS.pool]: spec.pool.id,
    [LABELS.runnerName]: spec.name,
    [LABELS.role]: role,
    [LABELS.engine]: options.engineId,
    ...(spec.jobId === undefined ? {} : { [LABELS.jobId]: String(spec.jobId) }),
  };
}

/** The labels of a runner's own volumes. */
export function volumeLabels(spec: RunnerSpec, opts: SpecOptions): Record<string, string> {
  return {
    [LABELS.controller]: opts.controllerId,
    [LABELS.repo]: spec.pool.repoId,
    [LABELS.pool]: spec.pool.id,
    [LABELS.runnerName]: spec.name,
  };
}

/**
 * A runner's own volumes: its sidecar's data root and socket, its work folder and a copy of its
 * image's externals (dind), or its whole runner folder (host mode).
 */
export const volumeNames = (name: string) => ({
  docker: `${name}-docker`,
  socket: `${name}-sock`,
  work: `${name}-work`,
  externals: `${name}-externals`,
  root: `${name}-root`,
});
export const sidecarName = (name: string) => `${name}-dind`;

/** Docker's HostConfig fields for a container's limits; unset ones are left out. */
export function limitsConfig(limits: ContainerLimits): Docker.HostConfig {
  return {
    ...(limits.cpus === undefined ? {} : { NanoCpus: Math.round(limits.cpus * 1e9) }),
    // Swap is not extra room: without MemorySwap the engine gives as much swap again.
    ...(limits.memoryBytes === undefined
      ? {}
      : { Memory: limits.memoryBytes, MemorySwap: limits.memoryBytes }),
    ...(limits.pidsLimit === undefined ? {} : { PidsLimit: limits.pidsLimit }),
    ...(limits.shmSizeBytes === undefined ? {} : { ShmSize: limits.shmSizeBytes }),
  };
}

/** The docker-in-docker sidecar: its own engine, reachable by the runner through a shared socket. */
export function dindContainer(
  spec: RunnerSpec,
  options: SpecOptions,
  sidecar: SidecarOptions,
): Docker.ContainerCreateOptions {
  const volumes = volumeNames(spec.name);
  const dind = spec.pool.dind;
  // sysbox-runc runs dockerd in a plain container (its own user namespace, cgroups and /sys);
  // capabilities, unconfined profiles or the host's cgroups are not for it.
  const sysbox = spec.pool.runtimes.dind === 'sysbox-runc';
  const security: Docker.HostConfig = sysbox
    ? {}
    : dind.privileged
      ? { Privileged: true }
      : {
          CapDrop: ['ALL'],
          CapAdd: DIND_CAPABILITIES,
          SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
          // The CLI's `--security-opt systempaths=unconfined`; the API refuses it as a SecurityOpt.
          MaskedPaths: [],
          ReadonlyPaths: [],
        };
  return {
    name: sidecarName(spec.name),
    Image: dind.image,
    Labels: {
      ...labelsFor(spec, 'dind', options),
      ...(sidecar.cacheVolume ? { [LABELS.cacheVolume]: sidecar.cacheVolume } : {}),
    },
    Env: ['DOCKER_TLS_CERTDIR='],
    // `dockerd` first: docker:dind's entrypoint then adds none of its own listeners. Given flags
    // only, it adds tcp://0.0.0.0:2375 without TLS (DOCKER_TLS_CERTDIR is empty), an engine any
    // container on the sidecar's network could drive.
    Cmd: [
      'dockerd',
      `--host=unix://${DIND_SOCKET_DIR}/docker.sock`,
      // The socket the runner mounts into job containers, resolved here: this engine.
      `--host=unix://${JOB_DOCKER_SOCKET}`,
      `--group=${DOCKER_GROUP_ID}`,
      // A job's published ports (`services:` ports, `docker run -p`) on the loopback of the
      // netns the runner shares: the job reaches them on localhost, and other runners on the
      // same Docker network cannot reach them at the sidecar's address.
      '--ip=127.0.0.1',
      // dockerd asks a mirror for Docker Hub images only; others go to their own registry.
      ...(dind.registryMirror ? [`--registry-mirror=${dind.registryMirror}`] : []),
      // On cgroup v2 a privileged sidecar has its own cgroup namespace and needs nothing.
      ...(sidecar.cgroupVersion === '1' && !sysbox
        ? [`--cgroup-parent=${NESTED_CGROUP_PARENT}`]
        : []),
    ],
    ...(spec.pool.stopTimeoutSeconds === undefined
      ? {}
      : { StopTimeout: spec.pool.stopTimeoutSeconds }),
    HostConfig: {
      ...security,
      ...(spec.pool.runtimes.dind ? { Runtime: spec.pool.runtimes.dind } : {}),
      ...limitsConfig(spec.pool.limits.dind),
      ...(spec.pool.network ? { NetworkMode: spec.pool.network } : {}),
      Binds: [
        `${sidecar.dataVolume}:/var/lib/docker`,
        `${volumes.socket}:${DIND_SOCKET_DIR}`,
        // The runner's folders at the same paths as in the runner: the runner's bind mounts of
        // them into job containers find their content here.
        ...(sidecar.sharedFolders
          ? [
              `${volumes.work}:${RUNNER_WORK_DIR}`,
              `${volumes.externals}:${RUNNER_EXTERNALS_DIR}:ro`,
            ]
          : []),
        ...(dind.privileged || sysbox ? [] : ['/sys/fs/cgroup:/sys/fs/cgroup:rw']),
      ],
    },
  };
}

/** Where the runner's Docker engine is, as its container spec needs it. */
export type RunnerEngine =
  /** `sharedFolders`: as SidecarOptions's. */
  | { mode: 'dind'; sidecarId: string; sharedFolders: boolean }
  /**
   * `rootPath`: where the engine keeps the runner's root volume, in its own filesystem;
   * undefined for a runner image that does not share its folders (no root volume).
   */
  | { mode: 'host'; rootPath: string | undefined }
  | { mode: 'none' };

/** The runner: only its single-use JIT config, never a token. */
export function runnerContainer(
  spec: RunnerSpec,
  options: SpecOptions,
  engine: RunnerEngine,
): Docker.ContainerCreateOptions {
  const env = [
    `ACTIONS_RUNNER_INPUT_JITCONFIG=${spec.jitConfig}`,
    'ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1',
  ];
  const host: Docker.HostConfig = { ...limitsConfig(spec.pool.limits.runner) };
  if (spec.pool.runtimes.runner) host.Runtime = spec.pool.runtimes.runner;
  const volumes = volumeNames(spec.name);
  switch (engine.mode) {
    case 'dind':
      env.push(`DOCKER_HOST=unix://${DIND_SOCKET_DIR}/docker.sock`);
      host.NetworkMode = `container:${engine.sidecarId}`;
      host.Binds = [
        `${volumes.socket}:${DIND_SOCKET_DIR}`,
        ...(engine.sharedFolders
          ? [
              `${volumes.work}:${RUNNER_WORK_DIR}`,
              // Empty until this container is created: the engine then copies the image's
              // externals into it, and the sidecar sees them.
              `${volumes.externals}:${RUNNER_EXTERNALS_DIR}`,
            ]
          : []),
      ];
      break;
    case 'host':
      // The engine is the host's: the runner runs from its root volume, mounted both where the
      // image has the runner (which fills it with the image's runner) and at the path where the
      // engine keeps it, so every path the runner hands the engine is the same there.
      if (engine.rootPath !== undefined) env.push(`RUNNER_ROOT=${engine.rootPath}`);
      host.Binds = [
        ...(engine.rootPath === undefined
          ? []
          : [`${volumes.root}:${RUNNER_HOME}`, `${volumes.root}:${engine.rootPath}`]),
        `${JOB_DOCKER_SOCKET}:${JOB_DOCKER_SOCKET}`,
      ];
      // Service containers publish their ports on the host; steps reach them on localhost.
      host.NetworkMode = 'host';
      // The runner image's user is in its own `docker` group, rarely the socket's on this host.
      if (options.socketGroup !== undefined) host.GroupAdd = [String(options.socketGroup)];
      break;
    case 'none':
      break;
  }
  // actions/runner refuses container jobs and services when /proc/1/cgroup names a `/docker/`
  // cgroup (ContainerOperationProvider.AssertCompatibleOS), as it does on a cgroup v1 engine
  // with the cgroupfs driver; in a cgroup namespace of its own the runner sees `/`.
  if (engine.mode !== 'none') host.CgroupnsMode = 'private';
  if (engine.mode !== 'dind' && spec.pool.network) host.NetworkMode = spec.pool.network;
  return {
    name: spec.name,
    Image: spec.pool.runnerImage,
    Labels: labelsFor(spec, 'runner', options),
    Env: env,
    ...(spec.pool.stopTimeoutSeconds === undefined
      ? {}
      : { StopTimeout: spec.pool.stopTimeoutSeconds }),
    HostConfig: host,
  };
}
