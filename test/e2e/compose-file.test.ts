import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  composeConfig,
  mounts,
  portBindings,
  type ComposeConfig,
  type ComposeService,
} from '../support/harness/e2e-compose.ts';
import { proxyRequest, type RequestOptions } from '../support/harness/proxy-request.ts';
import { parse } from 'yaml';
import { BUILD_LABEL } from '../../controller/src/runners/image-origin.ts';

/** expect's string matcher, typed for use inside object literals. */
const text = (pattern: string | RegExp): unknown =>
  typeof pattern === 'string' ? expect.stringContaining(pattern) : expect.stringMatching(pattern);

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.autoscale.yml');
const BUILD_FILE = path.join(ROOT, 'docker-compose.build.yml');
const DEFAULT_PREFIX = 'ghcr.io/runner-autoscaler/runner-autoscaler';
const NGINX_IMAGE = 'autoscaler-test/nginx:local';
const NGINX_BASE_IMAGE = 'autoscaler-test/nginx-base:local';
const TEST_LABEL = 'io.runner-autoscaler.test=true';
const DOMAIN = 'ci.example.com';
const BODY_LIMIT = 1_048_576;

function service(config: ComposeConfig, name: string): ComposeService {
  const found = config.services[name];
  if (!found) throw new Error(`no service ${name} in ${Object.keys(config.services).join(', ')}`);
  return found;
}

describe('docker-compose.autoscale.yml', () => {
  let project: string;
  let config: ComposeConfig;
  // A clean environment: nothing of the caller's (IMAGE_TAG, DOCKER_GID...) leaks in.
  const cleanEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project });
  const configWith = (env: Record<string, string>, file: string | string[] = COMPOSE_FILE) =>
    composeConfig({
      file,
      projectDirectory: project,
      projectName: 'autoscaler-e2e',
      env: { ...cleanEnv(), ...env },
    });

  beforeAll(async () => {
    project = await mkdtemp(path.join(tmpdir(), 'autoscaler-compose-'));
    // A stand-in for a user's checkout: .env made from .env.example with their settings after
    // it (a later line wins), and the build contexts the files name.
    const example = await readFile(path.join(ROOT, '.env.example'), 'utf8');
    await writeFile(
      path.join(project, '.env'),
      example +
        [
          'GITHUB_URL=https://github.com/octocat/hello-world',
          'GITHUB_TOKEN=ghp_e2e-not-a-real-token',
          'DOCKER_GID=4242',
          `WEBHOOK_DOMAIN=${DOMAIN}`,
          'PORT=9999',
        ].join('\n') +
        '\n',
    );
    for (const dir of ['nginx', 'runner-image'])
      await symlink(path.join(ROOT, dir), path.join(project, dir));
    config = await configWith({});
  }, 60_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('gives the controller the Docker socket, with the socket group from .env', () => {
    const controller = service(config, 'controller');
    expect(mounts(controller)).toContainEqual(
      expect.objectContaining({
        type: 'bind',
        source: '/var/run/docker.sock',
        target: '/var/run/docker.sock',
      }),
    );
    expect((controller.group_add ?? []).map(String)).toEqual(['4242']);
  });

  it('keeps the controller state in a named volume at /data', () => {
    const controller = service(config, 'controller');
    const data = mounts(controller).find((mount) => mount.target === '/data');
    expect(data).toMatchObject({ type: 'volume', readOnly: false });
    expect(Object.keys(config.volumes ?? {})).toContain(data?.source);
    expect(controller.environment?.DATA_DIR).toBe('/data');
  });

  it('publishes the controller port on 127.0.0.1 only, whatever PORT .env sets', () => {
    const controller = service(config, 'controller');
    expect(portBindings(controller)).toEqual([
      { hostIp: '127.0.0.1', published: '8080', target: '8080' },
    ]);
    expect(controller.environment?.PORT).toBe('8080');
  });

  it('runs the controller image by default, with a liveness check and a restart policy', () => {
    const controller = service(config, 'controller');
    expect(controller.image).toBe(`${DEFAULT_PREFIX}-controller:latest`);
    expect(controller.restart).toBe('unless-stopped');
    expect(JSON.stringify(controller.healthcheck?.test)).toContain('/livez');
    expect(controller.environment?.GITHUB_TOKEN).toBe('ghp_e2e-not-a-real-token');
  });

  it('publishes 443 and 80 from nginx, which depends on the controller', () => {
    const nginx = service(config, 'nginx');
    const published = portBindings(nginx).map((port) => `${port.published}->${port.target}`);
    expect(published).toEqual(expect.arrayContaining(['443->443', '80->80']));
    const dependsOn = Array.isArray(nginx.depends_on)
      ? nginx.depends_on
      : Object.keys(nginx.depends_on ?? {});
    expect(dependsOn).toContain('controller');
    expect(mounts(nginx)).toContainEqual(
      expect.objectContaining({ target: '/etc/nginx/certs', readOnly: true }),
    );
    // certbot's webroot, where nginx serves /.well-known/acme-challenge/ from
    expect(mounts(nginx)).toContainEqual(
      expect.objectContaining({
        type: 'bind',
        source: path.join(project, 'acme'),
        target: '/var/www/acme',
        readOnly: true,
      }),
    );
  });

  it('names all three images from IMAGE_PREFIX and IMAGE_TAG; the controller runs the runner image', async () => {
    const images = (c: ComposeConfig) =>
      ['controller', 'nginx', 'runner'].map((name) => service(c, name).image);
    expect(images(config)).toEqual([
      `${DEFAULT_PREFIX}-controller:latest`,
      `${DEFAULT_PREFIX}-nginx:latest`,
      `${DEFAULT_PREFIX}-runner:latest`,
    ]);
    const pinned = await configWith({
      IMAGE_PREFIX: 'registry.example.com/me/ra',
      IMAGE_TAG: '1.2.3',
    });
    expect(images(pinned)).toEqual([
      'registry.example.com/me/ra-controller:1.2.3',
      'registry.example.com/me/ra-nginx:1.2.3',
      'registry.example.com/me/ra-runner:1.2.3',
    ]);
    expect(service(pinned, 'controller').environment?.RUNNER_IMAGE).toBe(
      'registry.example.com/me/ra-runner:1.2.3',
    );
    expect(service(config, 'controller').environment?.RUNNER_IMAGE).toBe(
      `${DEFAULT_PREFIX}-runner:latest`,
    );
  });

  it('never builds: every image is pulled when missing, and the runner service never runs', () => {
    for (const name of ['controller', 'nginx', 'runner']) {
      expect(service(config, name).build).toBeUndefined();
      expect(service(config, name).pull_policy).toBe('if_not_present');
    }
    expect(service(config, 'runner').scale).toBe(0);
  });

  it('refuses to start without RUNNER_IMAGE, saying where to set it', async () => {
    const bare = await mkdtemp(path.join(tmpdir(), 'autoscaler-compose-bare-'));
    try {
      await writeFile(path.join(bare, '.env'), 'GITHUB_URL=https://github.com/o/r\n');
      await expect(
        composeConfig({
          file: COMPOSE_FILE,
          projectDirectory: bare,
          projectName: 'autoscaler-e2e',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: bare },
        }),
      ).rejects.toMatchObject({ stderr: text('set RUNNER_IMAGE in .env') });
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  it('with the build file, builds the three images under those names with version build args and the build label', async () => {
    const built = await configWith({ VERSION: '1.2.3', REVISION: 'abc123' }, [
      COMPOSE_FILE,
      BUILD_FILE,
    ]);
    const contexts = {
      controller: [project, 'controller/Dockerfile'],
      nginx: [path.join(project, 'nginx'), undefined],
      runner: [path.join(project, 'runner-image'), undefined],
    };
    for (const [name, [context, dockerfile]] of Object.entries(contexts)) {
      const build = service(built, name).build;
      expect(build?.context).toBe(context);
      if (dockerfile) expect(build?.dockerfile).toBe(dockerfile);
      expect(build?.args).toMatchObject({
        VERSION: '1.2.3',
        REVISION: 'abc123',
        SOURCE_URL: 'https://github.com/runner-autoscaler/runner-autoscaler',
      });
      // What RUNNER_PULL_POLICY=auto knows a local build by, on any image store.
      expect(build?.labels).toEqual({ [BUILD_LABEL]: 'local' });
      expect(service(built, name).image).toBe(service(config, name).image);
    }
  });

  it('offers a registry mirror for the dind sidecars behind the mirror profile, pinned, on the runners network', () => {
    const mirror = service(config, 'registry-mirror');
    expect(mirror.profiles).toEqual(['mirror']);
    // CNCF distribution at a fixed version, a pull-through cache of Docker Hub.
    expect(mirror.image).toBe('registry:2.8.3');
    expect(mirror.environment?.REGISTRY_PROXY_REMOTEURL).toBe('https://registry-1.docker.io');
    expect(mounts(mirror)).toContainEqual(
      expect.objectContaining({
        type: 'volume',
        source: 'registry-mirror',
        target: '/var/lib/registry',
      }),
    );
    expect(portBindings(mirror)).toEqual([]);
    const networks = Array.isArray(mirror.networks)
      ? mirror.networks
      : Object.keys(mirror.networks ?? {});
    expect(networks).toEqual(['runners']);
    // The name RUNNER_NETWORK gives the runners, whatever the project is called.
    expect(config.networks?.runners?.name).toBe('runner-autoscaler-runners');
  });

  it('starts nginx only in webhook mode (the webhook profile): scale-set mode needs none', () => {
    // Issue 17, defect 10: nginx always started on 80/443 and looped on a missing WEBHOOK_DOMAIN.
    expect(service(config, 'nginx').profiles).toEqual(['webhook']);
    expect(service(config, 'controller').profiles).toBeUndefined();
  });

  it('mounts ./config read-only at /config, where every file path of the examples points', async () => {
    // Issue 17, defects 8 and 12: the App key was /config/app.pem in .env.example and
    // repos.example.json but mounted (commented out) at /config/github-app.pem, and nothing was
    // mounted for engine certificates, SSH keys, known_hosts or DOCKER_CONFIG.
    const mount = mounts(service(config, 'controller')).find((m) => m.target === '/config');
    expect(mount).toMatchObject({
      type: 'bind',
      source: path.join(project, 'config'),
      readOnly: true,
    });
    const examples = ['.env.example', 'repos.example.json'].map((file) =>
      readFile(path.join(ROOT, file), 'utf8'),
    );
    const paths =
      (await Promise.all(examples)).join('\n').match(/\/config\/[A-Za-z0-9._/-]+/g) ?? [];
    expect(paths).toEqual(expect.arrayContaining(['/config/github-app.pem', '/config/repos.json']));
    const appKeys = new Set(
      (await Promise.all(examples)).join('\n').match(/\/config\/[a-z-]*app[a-z-]*\.pem/g),
    );
    expect([...appKeys]).toEqual(['/config/github-app.pem']);
  });

  it('.env.example sets nothing that compose overrides or that the quick start appends', async () => {
    // Issue 17, defect 14: PORT=8080 and DATA_DIR=/data had no effect under compose (it fixes
    // them), and the quick start appended DOCKER_GID though .env.example set it already.
    const fixed = Object.keys(
      (
        parse(await readFile(COMPOSE_FILE, 'utf8')) as {
          services: { controller: { environment: Record<string, string> } };
        }
      ).services.controller.environment,
    ).filter((name) => name !== 'RUNNER_IMAGE');
    expect(fixed).toEqual(expect.arrayContaining(['HOST', 'PORT', 'DATA_DIR']));
    const set = (await readFile(path.join(ROOT, '.env.example'), 'utf8'))
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name) => name !== undefined);
    for (const name of [...fixed, 'DOCKER_GID']) expect(set).not.toContain(name);
  });

  it('names its compose file and project in .env.example, apart from the static pool', async () => {
    // Issue 17, defect 11: both files sat in one directory without a project name, and `up`
    // of one could scale down or remove the other's `runner` containers.
    const nameIn = async (file: string) =>
      /^COMPOSE_PROJECT_NAME=(.+)$/m.exec(await readFile(path.join(ROOT, file), 'utf8'))?.[1];
    expect(await nameIn('.env.example')).toBe('runner-autoscaler');
    expect(await nameIn('static-pool/.env.example')).toBe('runner-autoscaler-static');
    expect(await readFile(path.join(ROOT, '.env.example'), 'utf8')).toMatch(
      /^COMPOSE_FILE=docker-compose\.autoscale\.yml$/m,
    );
  });

  it('gives nginx the domain but none of the controller secrets', () => {
    const environment = service(config, 'nginx').environment ?? {};
    expect(environment).toMatchObject({
      WEBHOOK_DOMAIN: DOMAIN,
      WEBHOOK_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      CONTROLLER_UPSTREAM: 'controller:8080',
    });
    expect(Object.keys(environment)).not.toContain('GITHUB_TOKEN');
  });
});

async function docker(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('docker', args, { maxBuffer: 4 * 1024 * 1024 });
}

async function dockerFails(...args: string[]): Promise<string> {
  try {
    await docker(...args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error(`docker ${args.join(' ')} succeeded`);
}

/** To nginx as the webhook domain: its Host header and TLS server name. */
const request = (url: string, options: RequestOptions = {}) =>
  proxyRequest(url, { serverName: DOMAIN, ...options });

// Needs a Docker engine; builds the nginx image from nginx/Dockerfile on a locally made Debian
// stand-in for the upstream nginx image (test/support/images/e2e-build-nginx.sh, cached after the first run).
describe('nginx image', () => {
  const suffix = randomBytes(4).toString('hex');
  const network = `autoscaler-e2e-${suffix}`;
  const upstream = `autoscaler-e2e-upstream-${suffix}`;
  const proxy = `autoscaler-e2e-nginx-${suffix}`;
  let httpsUrl: string;
  let httpUrl: string;

  beforeAll(async () => {
    await run('sh', [path.join(ROOT, 'test/support/images/e2e-build-nginx.sh')]);
  }, 300_000);

  afterAll(async () => {
    await docker('rm', '-f', '-v', proxy, upstream).catch(() => undefined);
    await docker('network', 'rm', network).catch(() => undefined);
  });

  it('renders a configuration that passes nginx -t, with a self-signed certificate', async () => {
    const { stderr } = await docker(
      'run',
      '--rm',
      '--label',
      TEST_LABEL,
      '-e',
      `WEBHOOK_DOMAIN=${DOMAIN}`,
      NGINX_IMAGE,
      'nginx',
      '-t',
    );
    expect(stderr).toContain('test is successful');
    expect(stderr).toMatch(/WARNING: no certificate .* self-signed/);
  });

  it('refuses to start without a valid WEBHOOK_DOMAIN', async () => {
    expect(
      await dockerFails('run', '--rm', '--label', TEST_LABEL, NGINX_IMAGE, 'nginx', '-t'),
    ).toContain('WEBHOOK_DOMAIN is not set');
    expect(
      await dockerFails(
        'run',
        '--rm',
        '--label',
        TEST_LABEL,
        '-e',
        'WEBHOOK_DOMAIN=evil.example.com; include /etc/passwd',
        NGINX_IMAGE,
        'nginx',
        '-t',
      ),
    ).toContain('WEBHOOK_DOMAIN has an invalid value');
  });

  describe('in front of a stand-in controller', () => {
    beforeAll(async () => {
      await docker('network', 'create', '--label', TEST_LABEL, network);
      // Answers every request with its method and URI, as "controller:8080" on the network.
      const upstreamConfig =
        'events {} http { access_log off; server { listen 8080; ' +
        'location / { return 202 "controller $request_method $request_uri"; } } }';
      await docker(
        'run',
        '-d',
        '--name',
        upstream,
        '--label',
        TEST_LABEL,
        '--network',
        network,
        '--network-alias',
        'controller',
        '-e',
        `CONFIG=${upstreamConfig}`,
        NGINX_BASE_IMAGE,
        'sh',
        '-c',
        'printf "%s" "$CONFIG" > /etc/nginx/nginx.conf && exec nginx -g "daemon off;"',
      );
      await docker(
        'run',
        '-d',
        '--name',
        proxy,
        '--label',
        TEST_LABEL,
        '--network',
        network,
        '-p',
        '127.0.0.1::80',
        '-p',
        '127.0.0.1::443',
        '-e',
        `WEBHOOK_DOMAIN=${DOMAIN}`,
        NGINX_IMAGE,
      );
      const port = async (inner: number) =>
        (await docker('port', proxy, `${inner}/tcp`)).stdout.trim().split('\n')[0] ?? '';
      httpsUrl = `https://${await port(443)}`;
      httpUrl = `http://${await port(80)}`;
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await request(`${httpsUrl}/health`);
          break;
        } catch (error) {
          if (Date.now() > deadline) {
            const logs = await docker('logs', proxy).catch(() => ({ stdout: '', stderr: '' }));
            throw new Error(`nginx did not answer: ${String(error)}\n${logs.stderr}`, {
              cause: error,
            });
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }, 60_000);

    it('passes webhook deliveries to the controller over HTTPS, and /health to its liveness only', async () => {
      const delivery = await request(`${httpsUrl}/webhook`, {
        method: 'POST',
        body: Buffer.from('{"action":"queued"}'),
        headers: { 'Content-Type': 'application/json' },
      });
      expect(delivery).toMatchObject({ status: 202, body: 'controller POST /webhook' });
      expect(delivery.peerCN).toBe(DOMAIN);
      expect(
        await request(`${httpsUrl}/webhook/my-repo`, { method: 'POST', body: Buffer.from('{}') }),
      ).toMatchObject({ status: 202, body: 'controller POST /webhook/my-repo' });
      // The full /health names repositories, runners, engines and GitHub's errors: the public
      // port answers the controller's liveness, nothing more (issue 17, defect 1).
      expect(await request(`${httpsUrl}/health`)).toMatchObject({
        status: 202,
        body: 'controller GET /livez',
      });
      expect(await request(`${httpsUrl}/health?full=1`)).toMatchObject({
        body: 'controller GET /livez',
      });
    });

    it('keeps /metrics, /livez and other methods away from the controller', async () => {
      expect((await request(`${httpsUrl}/metrics`)).status).toBe(404);
      expect((await request(`${httpsUrl}/livez`)).status).toBe(404);
      expect((await request(`${httpsUrl}/`)).status).toBe(404);
      expect((await request(`${httpsUrl}/webhook`)).status).toBe(403);
      expect((await request(`${httpsUrl}/health`, { method: 'POST' })).status).toBe(403);
    });

    it("accepts a delivery up to the controller's 1 MiB limit and refuses a larger one", async () => {
      const post = (size: number) =>
        request(`${httpsUrl}/webhook`, { method: 'POST', body: Buffer.alloc(size, 0x20) });
      expect((await post(BODY_LIMIT)).status).toBe(202);
      expect((await post(BODY_LIMIT + 1)).status).toBe(413);
    });

    it('redirects plain HTTP to HTTPS on the webhook domain', async () => {
      const answer = await request(`${httpUrl}/webhook?x=1`, { method: 'POST' });
      expect(answer.status).toBe(301);
      expect(answer.headers.location).toBe(`https://${DOMAIN}/webhook?x=1`);
    });
  });
});
