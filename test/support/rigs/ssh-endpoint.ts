import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Docker from 'dockerode';
import { freePort } from '../harness/free-port.ts';
import { killRigProcesses, makeRigDir, removeRigDir } from './rig-cleanup.ts';
import { waitUntil } from '../harness/wait-until.ts';

const SSHD = '/usr/sbin/sshd';

export type SshEndpointOptions = {
  /** Short name, as for an extra engine. */
  name: string;
  /** The engine this "host" serves: DOCKER_HOST of its SSH sessions (unix:///…). */
  dockerHost: string;
  port?: number;
};

export type SshEndpoint = {
  host: '127.0.0.1';
  port: number;
  username: 'root';
  /** What a controller is given: ssh://root@127.0.0.1:<port>. */
  endpoint: string;
  /** The client's private key (OpenSSH format, ed25519, no passphrase). */
  privateKeyFile: string;
  /** The host's public key as the wire carries it (ssh2's hostVerifier gets these bytes). */
  hostKey: Buffer;
  /** `[127.0.0.1]:<port> ssh-ed25519 …`, for an OpenSSH client's UserKnownHostsFile. */
  knownHostsFile: string;
  /** dockerode over SSH, as docker-modem does it (ssh2; `docker system dial-stdio` remotely). */
  docker: Docker;
  /** Starts sshd again on the same port, with the same keys. */
  start(): Promise<void>;
  /** Stops sshd and ends open sessions: the host no longer answers on SSH. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
};

/**
 * A private sshd on 127.0.0.1 standing in for a remote build host reached over SSH, as Docker's
 * `ssh://` transport expects it: a login shell that finds `docker` and runs `docker system
 * dial-stdio`, which speaks to the engine named by DOCKER_HOST (set for the sessions with
 * sshd's SetEnv; on a real host it is the default socket). Its own host key, config, pidfile
 * and authorized_keys, all in a temp dir; the system's sshd and its config are not touched.
 * Sessions log in as root with a key made here.
 */
export async function startSshEndpoint(options: SshEndpointOptions): Promise<SshEndpoint> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: run .ci/ensure-docker.sh (installs openssh-server)`);
  }
  const root = await makeRigDir(`ssh-${options.name}`);
  let server: ChildProcess | undefined;
  try {
    const port = options.port ?? (await freePort());
    const files = writeSshdFiles(root, port, options.dockerHost);
    const start = async () => {
      if (server && server.exitCode === null && server.signalCode === null) return;
      const log = openSync(join(root, 'sshd.log'), 'a');
      // -D: stay in the foreground (a child of this process); -e: log to stderr, the log file.
      const child = spawn(SSHD, ['-D', '-e', '-f', files.config], {
        detached: true,
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      child.unref();
      server = child;
      const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(false)));
      const up = await Promise.race([
        waitUntil(() => sshBanner(port), 20_000, `sshd ${options.name} answering`),
        exited,
      ]);
      if (!up) throw new Error(`sshd exited: ${readFileSync(join(root, 'sshd.log'), 'utf8')}`);
    };
    const stop = async () => {
      server = undefined;
      // The listener with every connection's sshd and session under it.
      await killRigProcesses(root);
      await waitUntil(async () => !(await sshBanner(port)), 10_000, `sshd ${options.name} gone`);
    };
    await start();
    const hostKey = Buffer.from(
      readFileSync(files.hostPublicKey, 'utf8').split(' ')[1] ?? '',
      'base64',
    );
    return {
      host: '127.0.0.1',
      port,
      username: 'root',
      endpoint: `ssh://root@127.0.0.1:${port}`,
      privateKeyFile: files.clientKey,
      hostKey,
      knownHostsFile: files.knownHosts,
      docker: new Docker({
        protocol: 'ssh',
        host: '127.0.0.1',
        port,
        username: 'root',
        sshOptions: {
          privateKey: readFileSync(files.clientKey),
          hostVerifier: (key: Buffer) => key.equals(hostKey),
        },
      }),
      start,
      stop,
      destroy: () => removeRigDir(root),
    };
  } catch (error) {
    await removeRigDir(root);
    throw error;
  }
}

function writeSshdFiles(root: string, port: number, dockerHost: string) {
  const file = (name: string) => join(root, name);
  const keygen = (name: string, comment: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file(name)]);
  keygen('host_key', 'runner-autoscaler test host');
  keygen('client_key', 'runner-autoscaler test client');
  writeFileSync(file('authorized_keys'), readFileSync(file('client_key.pub')), { mode: 0o600 });
  const hostPublic = readFileSync(file('host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(file('known_hosts'), `[127.0.0.1]:${port} ${hostPublic}\n`);
  writeFileSync(
    file('sshd_config'),
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${file('host_key')}`,
      `PidFile ${file('sshd.pid')}`,
      `AuthorizedKeysFile ${file('authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'AllowUsers root',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // PAM would read the system's login policy; keys are all this host needs.
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      // A HOME of its own: the session's shell then reads no ~/.bashrc of this machine's root
      // (whose pyenv rehash waits 60 s on a lock that concurrent or killed sessions leave).
      `SetEnv DOCKER_HOST=${dockerHost} HOME=${root}`,
      '',
    ].join('\n'),
  );
  // Debian's sshd is built to chroot its unprivileged child there; its init script makes it.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  return {
    config: file('sshd_config'),
    clientKey: file('client_key'),
    hostPublicKey: file('host_key.pub'),
    knownHosts: file('known_hosts'),
  };
}

/** Whether an SSH server greets on the port (its identification string comes first). */
function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString().startsWith('SSH-2.0-')));
  });
}
