import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../controller/src/config/config-types.ts';
import { loadEngines } from '../../controller/src/config/engines.ts';
import { createDockerContext } from '../support/rigs/docker-context.ts';
import { loadImages } from '../support/rigs/engine-images.ts';
import { startExtraDockerd, type ExtraDockerd } from '../support/rigs/extra-dockerd.ts';
import { STUB, engineInfo, rigIsGone, sleeper } from '../support/rigs/rig-checks.ts';
import { startSshEndpoint } from '../support/rigs/ssh-endpoint.ts';
import { makeTlsCerts } from '../support/rigs/tls-certs.ts';

describe('an extra dockerd behind a private sshd', () => {
  let engine: ExtraDockerd;
  beforeAll(async () => {
    engine = await startExtraDockerd({ name: 'rig-ssh' });
    await loadImages(engine.docker, [STUB]);
  });
  afterAll(async () => {
    await engine?.destroy();
    if (engine) await rigIsGone(engine);
  });

  it('is reached over SSH as Docker does it (docker system dial-stdio on the far side)', async () => {
    const ssh = await startSshEndpoint({ name: 'rig', dockerHost: engine.endpoint });
    try {
      const { container } = await sleeper(engine.docker, 'rig-ssh-listed');
      const listed = await ssh.docker.listContainers({ filters: { name: ['rig-ssh-listed'] } });
      expect(listed.map((c) => c.Names[0])).toEqual(['/rig-ssh-listed']);
      expect((await engineInfo(ssh.docker)).ID).toBe((await engineInfo(engine.docker)).ID);
      await container.remove({ force: true });

      const sshOptions = (privateKey: Buffer, hostKey = ssh.hostKey) => ({
        protocol: 'ssh' as const,
        host: ssh.host,
        port: ssh.port,
        username: ssh.username,
        sshOptions: { privateKey, hostVerifier: (key: Buffer) => key.equals(hostKey) },
      });
      const key = readFileSync(ssh.privateKeyFile);
      const strangerDir = mkdtempSync(join(tmpdir(), 'rig-ssh-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(strangerDir, 'k')]);
      const stranger = new Docker(sshOptions(readFileSync(join(strangerDir, 'k'))));
      rmSync(strangerDir, { recursive: true });
      await expect(stranger.ping()).rejects.toThrow(/authentication methods failed/);
      const spoofed = new Docker(sshOptions(key, Buffer.from('another host')));
      await expect(spoofed.ping()).rejects.toThrow(/verification failed/);

      await ssh.stop();
      await expect(ssh.docker.ping()).rejects.toThrow(/ECONNREFUSED/);
      await ssh.start();
      expect(String(await ssh.docker.ping())).toBe('OK');
    } finally {
      await ssh.destroy();
    }
  });
});

describe('an extra dockerd on TCP with TLS', () => {
  let engine: ExtraDockerd;
  beforeAll(async () => {
    engine = await startExtraDockerd({ name: 'rig-tls', tcp: { tls: true } });
  });
  afterAll(async () => {
    await engine?.destroy();
    if (engine) await rigIsGone(engine);
  });

  it('answers a client with the CA and a client certificate, and nobody else', async () => {
    expect(engine.endpoint).toBe(`tcp://127.0.0.1:${engine.port}`);
    const tls = engine.tls!;
    const withFiles = new Docker({
      host: '127.0.0.1',
      port: engine.port!,
      protocol: 'https',
      ca: readFileSync(tls.ca),
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
    });
    expect((await engineInfo(withFiles)).ID).toBe((await engineInfo(engine.docker)).ID);
    expect(String(await engine.endpointClient().ping())).toBe('OK');

    const noClientCert = new Docker({
      host: '127.0.0.1',
      port: engine.port!,
      protocol: 'https',
      ca: readFileSync(tls.ca),
    });
    await expect(noClientCert.ping()).rejects.toThrow(/alert bad certificate/);
    const other = makeTlsCerts(join(engine.root, 'other-ca'));
    const otherCa = new Docker({
      host: '127.0.0.1',
      port: engine.port!,
      protocol: 'https',
      ca: readFileSync(tls.ca),
      cert: readFileSync(other.client.cert),
      key: readFileSync(other.client.key),
    });
    await expect(otherCa.ping()).rejects.toThrow(/alert bad certificate/);
    const distrusting = new Docker({
      host: '127.0.0.1',
      port: engine.port!,
      protocol: 'https',
      ca: readFileSync(other.client.ca),
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
    });
    await expect(distrusting.ping()).rejects.toThrow(/unable to verify the first certificate/);
    const plain = new Docker({ host: '127.0.0.1', port: engine.port!, protocol: 'http' });
    await expect(plain.ping()).rejects.toThrow(/HTTP request to an HTTPS server/);
  });

  it('is named by a Docker context as users name engines', async () => {
    const dockerConfig = join(engine.root, 'docker-config');
    createDockerContext({
      dockerConfig,
      name: 'rig-tls',
      endpoint: engine.endpoint,
      tls: engine.tls,
    });
    const cli = execFileSync(
      'docker',
      ['--config', dockerConfig, '--context', 'rig-tls', 'info', '--format', '{{.ID}}'],
      { encoding: 'utf8' },
    );
    const id = (await engineInfo(engine.docker)).ID;
    expect(cli.trim()).toBe(id);

    const problems: ConfigProblem[] = [];
    const engines = loadEngines(
      JSON.stringify([{ name: 'second', context: 'rig-tls', capacity: 2 }]),
      { DOCKER_CONFIG: dockerConfig },
      (path) => readFileSync(path, 'utf8'),
      undefined,
      problems,
    );
    expect(problems).toEqual([]);
    const endpoint = engines?.[0]?.endpoint;
    if (endpoint?.kind !== 'tcp' || !endpoint.tls) throw new Error('expected a TCP+TLS endpoint');
    expect(endpoint).toMatchObject({ host: '127.0.0.1', port: engine.port });
    const viaContext = new Docker({
      host: endpoint.host,
      port: endpoint.port,
      protocol: 'https',
      ca: readFileSync(endpoint.tls.ca),
      cert: readFileSync(endpoint.tls.cert),
      key: readFileSync(endpoint.tls.key),
    });
    expect((await engineInfo(viaContext)).ID).toBe(id);
  });
});
