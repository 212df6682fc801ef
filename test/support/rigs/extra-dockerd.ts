import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createBridge, freeSubnet } from './rig-bridge.ts';
import { killRigProcesses, makeRigDir, removeRigDir } from './rig-cleanup.ts';
import { freePort } from '../harness/free-port.ts';
import { isGone, isStopped, processesUnder, signal } from './host-processes.ts';
import { makeTlsCerts, type TlsCerts, type TlsFiles } from './tls-certs.ts';
import { waitUntil } from '../harness/wait-until.ts';

export type ExtraDockerdOptions = {
  /** Short name (letters, digits, "-"): in its directory's name, its daemon labels, errors. */
  name: string;
  /** Also listen on tcp://127.0.0.1:<port> (a free one unless given); `tls`: --tlsverify. */
  tcp?: { port?: number; tls: boolean };
  /** dockerd --live-restore: containers outlive the daemon and are reattached when it returns. */
  liveRestore?: boolean;
  /**
   * OCI runtimes besides runc, by the name containers ask for (`HostConfig.Runtime`), as
   * daemon.json's `runtimes`: the binary's path and its arguments (runsc's `--platform=ptrace`).
   */
  runtimes?: Record<string, { path: string; runtimeArgs?: string[] }>;
  startTimeoutMs?: number;
};

/**
 * gVisor as Debian packages it (runsc, 2022 build), registered as it runs containers here: the
 * ptrace platform (any host, KVM or not), the network of the container's namespace passed through rather
 * than gVisor's own netstack. It cannot run dockerd inside ("Devices cgroup isn't mounted").
 */
export const RUNSC_RUNTIME = {
  runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--platform=ptrace', '--network=host'] },
};

export type ExtraDockerd = {
  name: string;
  /** Everything of the engine is under here; destroy() removes it. */
  root: string;
  socketPath: string;
  /** What a controller is given: tcp://127.0.0.1:<port> when `tcp`, else unix://<socketPath>. */
  endpoint: string;
  port: number | undefined;
  /** Client files for `endpoint` when `tcp.tls`. */
  tls: TlsFiles | undefined;
  /** The host's address on the engine's own bridge (its containers' default gateway). */
  gateway: string;
  /** The engine's bridge interface (`xd…`, made by the rig), its default network. */
  bridge: string;
  /** A client over the unix socket: for setting up and inspecting, whatever `endpoint` is. */
  docker: Docker;
  /** A client over `endpoint` as a controller would connect (TLS client files when set). */
  endpointClient(): Docker;
  /** Starts the daemon (again, on the same data root: the engine returns) and waits for it. */
  start(): Promise<void>;
  /**
   * The engine goes away. `shutdown` (default): SIGTERM, dockerd stops its containers (each
   * within its StopTimeout) unless liveRestore, which leaves them running. `crash`: SIGKILL to
   * dockerd, its containerd, shims and containers at once (a power loss): nothing runs on.
   */
  stop(options?: { how?: 'shutdown' | 'crash' }): Promise<void>;
  /**
   * SIGSTOP dockerd, and wait until every thread of it has stopped: connections are accepted,
   * nothing answers; containers run on.
   */
  freeze(): Promise<void>;
  thaw(): void;
  running(): boolean;
  /** dockerd's log (warnings and errors). */
  log(): string;
  /** Stops the engine, removes its containers, mounts, bridge and directory. Idempotent. */
  destroy(): Promise<void>;
};

/**
 * A further dockerd on this machine, next to the shared one, which it never touches: its own
 * socket, data root, exec root, pidfile, trust key (so its own engine ID), containerd and network.
 */
export async function startExtraDockerd(options: ExtraDockerdOptions): Promise<ExtraDockerd> {
  if (!/^[a-z0-9-]{1,20}$/.test(options.name)) {
    throw new Error(`engine name "${options.name}": use 1-20 of a-z, 0-9, "-"`);
  }
  // A runtime whose binary is missing would fail only each container's start: say so at once.
  for (const [name, runtime] of Object.entries(options.runtimes ?? {}))
    if (!existsSync(runtime.path))
      throw new Error(
        `runtime ${name} of extra dockerd ${options.name}: ${runtime.path} is not installed (.ci/ensure-docker.sh installs runsc)`,
      );
  const root = await makeRigDir(options.name);
  const socketPath = join(root, 'docker.sock');
  const logPath = join(root, 'dockerd.log');
  let setup: DaemonSetup;
  try {
    setup = await prepareDaemon(root, socketPath, options);
  } catch (error) {
    await removeRigDir(root);
    throw error;
  }
  const { args, port, certs, gateway, bridge } = setup;
  const docker = new Docker({ socketPath });
  let child: ChildProcess | undefined;
  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  // A frozen daemon accepts connections and never answers: probes give up after 2 s.
  const probe = new Docker({ socketPath, timeout: 2000 });
  const answers = () =>
    probe.ping().then(
      () => true,
      () => false,
    );

  const start = async () => {
    if (running()) return;
    // A dockerd killed earlier leaves its pidfile and its containerd's. A new dockerd refuses to
    // start while the first names a live pid (pids get reused), and waits for a containerd that
    // is not there while the second names one (an unreaped zombie counts: this machine's init
    // reaps orphans late).
    rmSync(join(root, 'docker.pid'), { force: true });
    rmSync(join(root, 'exec', 'containerd', 'containerd.pid'), { force: true });
    mkdirSync(join(root, 'data'), { recursive: true });
    const log = openSync(logPath, 'a');
    const started = spawn('dockerd', args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin` },
    });
    closeSync(log);
    started.unref();
    child = started;
    const exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const up = await Promise.race([
      waitUntil(answers, timeoutMs, `extra dockerd ${options.name} answering`).then(() => true),
      exited.then(() => false),
    ]);
    if (!up) {
      throw new Error(`extra dockerd ${options.name} exited at start: ${tail(readLog())}`);
    }
  };

  const readLog = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };

  const thaw = () => {
    if (child?.pid) signal([child.pid], 'SIGCONT');
  };

  const stop = async ({ how = 'shutdown' }: { how?: 'shutdown' | 'crash' } = {}) => {
    thaw();
    if (how === 'crash') {
      await killRigProcesses(root);
      await waitUntil(() => !running(), 10_000, `extra dockerd ${options.name} reaped`);
      return;
    }
    const pid = child?.pid;
    if (!pid || !running()) return;
    signal([pid], 'SIGTERM');
    await waitUntil(() => !running(), 120_000, `extra dockerd ${options.name} stopped`);
    // Its containerd stops after it; the shims stay only with live-restore.
    const containerd = processesUnder(root).filter((p) => /^containerd /.test(p.cmdline));
    await waitUntil(
      () => containerd.every((p) => isGone(p.pid)),
      20_000,
      `containerd of ${options.name} stopped`,
    );
  };

  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    thaw();
    if (running() && (await answers())) {
      // Removed through the API so that dockerd unmounts their layers and drops their cgroups.
      const containers = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(
        containers.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
      );
      await stop().catch(() => undefined);
    }
    await removeRigDir(root);
  };

  const engine: ExtraDockerd = {
    name: options.name,
    root,
    socketPath,
    endpoint: port ? `tcp://127.0.0.1:${port}` : `unix://${socketPath}`,
    port,
    tls: certs?.client,
    gateway,
    bridge,
    docker,
    endpointClient: () => {
      if (!port) return new Docker({ socketPath });
      if (!certs) return new Docker({ host: '127.0.0.1', port, protocol: 'http' });
      return new Docker({
        host: '127.0.0.1',
        port,
        protocol: 'https',
        ca: readFileSync(certs.client.ca),
        cert: readFileSync(certs.client.cert),
        key: readFileSync(certs.client.key),
      });
    },
    start,
    stop,
    freeze: async () => {
      const pid = child?.pid;
      if (!pid || !running()) throw new Error(`extra dockerd ${options.name} is not running`);
      signal([pid], 'SIGSTOP');
      await waitUntil(() => isStopped(pid), 30_000, `extra dockerd ${options.name} stopped`);
    },
    thaw,
    running,
    log: readLog,
    destroy,
  };
  try {
    await start();
  } catch (error) {
    await destroy();
    throw error;
  }
  return engine;
}

type DaemonSetup = {
  args: string[];
  port: number | undefined;
  certs: TlsCerts | undefined;
  gateway: string;
  bridge: string;
};

/** dockerd's flags and the files they name (config, TLS, a bridge of its own). */
async function prepareDaemon(
  root: string,
  socketPath: string,
  options: ExtraDockerdOptions,
): Promise<DaemonSetup> {
  const port = options.tcp ? (options.tcp.port ?? (await freePort())) : undefined;
  const certs = options.tcp?.tls ? makeTlsCerts(join(root, 'tls')) : undefined;
  // Never --bridge=none: dockerd then deletes the host's docker0, the shared engine's bridge.
  // A bridge of its own instead, made before dockerd starts (it wants a named one to exist);
  // its name is written first, so that removing the rig also removes one made halfway.
  const bridge = `xd${Math.random().toString(36).slice(2, 10)}`;
  const subnet = freeSubnet();
  writeFileSync(join(root, 'bridge'), bridge);
  createBridge(bridge, subnet.cidr);
  // Settable only in a config file: else every engine here shares /etc/docker/key.json, and
  // with it the engine ID that `docker info` reports.
  const config = {
    'deprecated-key-path': join(root, 'key.json'),
    'log-level': 'warn',
    // Its containers reach nothing past the host (no NAT, below), the host's resolver neither:
    // a lookup would wait out its timeouts (10 s for each `docker pull` in a dind sidecar here).
    // The gateway answers at once that it serves no DNS, as an offline network does.
    dns: [subnet.gateway],
    ...(options.runtimes ? { runtimes: options.runtimes } : {}),
  };
  writeFileSync(join(root, 'daemon.json'), JSON.stringify(config));
  const tls = certs
    ? [
        '--tlsverify',
        `--tlscacert=${certs.server.ca}`,
        `--tlscert=${certs.server.cert}`,
        `--tlskey=${certs.server.key}`,
      ]
    : [];
  const args = [
    `--config-file=${join(root, 'daemon.json')}`,
    `--host=unix://${socketPath}`,
    ...(port ? [`--host=tcp://127.0.0.1:${port}`, ...tls] : []),
    `--data-root=${join(root, 'data')}`,
    `--exec-root=${join(root, 'exec')}`,
    `--pidfile=${join(root, 'docker.pid')}`,
    `--bridge=${bridge}`,
    // The shared engine owns the host's iptables chains and forwarding sysctl: this one touches
    // neither (its containers reach the host at the gateway, which needs no forwarding).
    '--iptables=false',
    '--ip-masq=false',
    '--ip-forward=false',
    ...(options.liveRestore ? ['--live-restore'] : []),
    '--label=io.runner-autoscaler.test=true',
    `--label=io.runner-autoscaler.test.engine=${options.name}`,
  ];
  return { args, port, certs, gateway: subnet.gateway, bridge };
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
