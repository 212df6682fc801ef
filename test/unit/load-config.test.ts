import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigResult } from '../../controller/src/config/load-config.ts';

const noFiles = (path: string): string => {
  throw Object.assign(new Error(`unexpected read of ${path}`), { code: 'ENOENT' });
};
const load = (env: Record<string, string>, files: Record<string, string> = {}): ConfigResult =>
  loadConfig({
    env,
    readFile: (path) => {
      const content = files[path];
      return content === undefined ? noFiles(path) : content;
    },
  });

describe('loadConfig in single-repo mode', () => {
  it('applies the documented defaults', () => {
    const result = load({ GITHUB_URL: 'https://github.com/octo/hello', GITHUB_TOKEN: 'ghp_x' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config).toMatchObject({
      mode: 'single',
      port: 8080,
      logLevel: 'info',
      dataDir: '/data',
      maxRunners: 10,
      resyncIntervalSeconds: 60,
      runnerIdleTimeoutSeconds: 300,
      jobWaitWarnSeconds: 300,
    });
    expect(config.pools).toHaveLength(1);
    expect(config.pools[0]).toMatchObject({
      id: 'octo-hello',
      target: {
        scope: { kind: 'repo', owner: 'octo', repo: 'hello' },
        apiUrl: 'https://api.github.com',
      },
      auth: { kind: 'token', token: 'ghp_x' },
      runnerLabels: ['self-hosted', 'linux'],
      runnerGroup: 'default',
      runnerNamePrefix: 'runner',
      dockerMode: 'dind',
      maxRunners: 10,
      minIdleRunners: 0,
    });
  });

  it('derives the GHES API URL and lets GITHUB_API_URL override it', () => {
    const ghes = load({ GITHUB_URL: 'https://ghe.example.com/my-org', GITHUB_TOKEN: 't' });
    expect(ghes.ok && ghes.config.pools[0]?.target).toMatchObject({
      scope: { kind: 'org', org: 'my-org' },
      apiUrl: 'https://ghe.example.com/api/v3',
    });
    const custom = load({
      GITHUB_URL: 'https://github.com/o/r',
      GITHUB_TOKEN: 't',
      GITHUB_API_URL: 'http://127.0.0.1:9999/',
    });
    expect(custom.ok && custom.config.pools[0]?.target.apiUrl).toBe('http://127.0.0.1:9999');
  });

  it('gives the resync 200 GitHub requests a minute per credential unless told otherwise', () => {
    const result = load({ GITHUB_URL: 'https://github.com/o/r', GITHUB_TOKEN: 't' });
    expect(result.ok && result.config.resyncBudgetPerMinute).toBe(200);
    const set = load({
      GITHUB_URL: 'https://github.com/o/r',
      GITHUB_TOKEN: 't',
      RESYNC_REQUESTS_PER_MINUTE: '120',
    });
    expect(set.ok && set.config.resyncBudgetPerMinute).toBe(120);
  });

  it('logs a job waiting longer than JOB_WAIT_WARN_SECONDS, five minutes unless told otherwise', () => {
    const set = load({
      GITHUB_URL: 'https://github.com/o/r',
      GITHUB_TOKEN: 't',
      JOB_WAIT_WARN_SECONDS: '900',
    });
    expect(set.ok && set.config.jobWaitWarnSeconds).toBe(900);
    const wrong = load({
      GITHUB_URL: 'https://github.com/o/r',
      GITHUB_TOKEN: 't',
      JOB_WAIT_WARN_SECONDS: 'soon',
    });
    expect(!wrong.ok && wrong.problems.map((p) => p.setting)).toEqual(['JOB_WAIT_WARN_SECONDS']);
  });

  it('names every wrong setting at once and never echoes a value', () => {
    const result = load({
      GITHUB_URL: 'not a url',
      GITHUB_TOKEN: 'ghp_supersecret',
      MAX_RUNNERS: 'many',
      PORT: '70000',
      RUNNER_DOCKER_MODE: 'podman',
      LOG_LEVEL: 'loud',
      WEBHOOK_SECRET: '',
      // More than the 850 points a minute the pace allows leave for 76 writes (5 points each).
      RESYNC_REQUESTS_PER_MINUTE: '5000',
      JOB_WAIT_WARN_SECONDS: '0',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const settings = result.problems.map((problem) => problem.setting).sort();
    expect(settings).toEqual([
      'GITHUB_URL',
      'JOB_WAIT_WARN_SECONDS',
      'LOG_LEVEL',
      'MAX_RUNNERS',
      'PORT',
      'RESYNC_REQUESTS_PER_MINUTE',
      'RUNNER_DOCKER_MODE',
    ]);
    expect(JSON.stringify(result.problems)).not.toContain('supersecret');
  });

  it('requires a URL and credentials', () => {
    const result = load({});
    expect(!result.ok && result.problems.map((p) => p.setting)).toEqual([
      'GITHUB_URL',
      'GITHUB_TOKEN',
    ]);
    const noAuth = load({ GITHUB_URL: 'https://github.com/o/r' });
    expect(!noAuth.ok && noAuth.problems.map((p) => p.setting)).toEqual(['GITHUB_TOKEN']);
  });

  it('reads a GitHub App key from its file and refuses a half-configured App', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n';
    const app = load(
      {
        GITHUB_URL: 'https://github.com/o/r',
        GITHUB_APP_ID: '42',
        GITHUB_APP_PRIVATE_KEY_FILE: '/k.pem',
      },
      { '/k.pem': pem },
    );
    expect(app.ok && app.config.pools[0]?.auth).toEqual({
      kind: 'app',
      appId: '42',
      privateKey: pem,
      installationId: undefined,
    });
    const half = load({ GITHUB_URL: 'https://github.com/o/r', GITHUB_APP_ID: '42' });
    expect(!half.ok && half.problems.map((p) => p.setting)).toEqual([
      'GITHUB_APP_PRIVATE_KEY_FILE',
    ]);
  });
});

describe('loadConfig in multi-repo mode', () => {
  const file = (content: unknown) => ({ '/repos.json': JSON.stringify(content) });

  it('merges environment, defaults and entries, entry last', () => {
    const result = load(
      {
        REPOS_CONFIG_FILE: '/repos.json',
        GITHUB_TOKEN: 'shared',
        RUNNER_IMAGE: 'env-image',
        MAX_RUNNERS: '8',
      },
      file({
        repositories: [
          {
            id: 'app',
            github_url: 'https://github.com/o/app',
            runner_labels: 'self-hosted,linux,x64',
            max_runners: 3,
          },
          {
            id: 'org',
            github_url: 'https://github.com/orgs/o',
            github_token: 'own',
            runner_image: 'own-image',
          },
        ],
        defaults: { runner_image: 'default-image', min_idle_runners: 1 },
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [app, org] = result.config.pools;
    expect(app).toMatchObject({
      id: 'app',
      auth: { kind: 'token', token: 'shared' },
      runnerImage: 'default-image',
      runnerLabels: ['self-hosted', 'linux', 'x64'],
      maxRunners: 3,
      minIdleRunners: 1,
    });
    expect(org).toMatchObject({
      id: 'org',
      auth: { token: 'own' },
      runnerImage: 'own-image',
      maxRunners: 8,
    });
  });

  it('reports JSON paths of every problem', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      file({
        repositories: [
          { id: 'a', github_url: 'https://github.com/o/a', github_token: 't', max_runners: 0 },
          { id: 'a', github_url: 'https://github.com/o/b', github_token: 't' },
          { id: 'bad id!', github_url: 'ftp://x', github_token: 't' },
        ],
        defaults: { runner_docker_mode: 'vm' },
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.setting).sort()).toEqual([
      'REPOS_CONFIG_FILE defaults.runner_docker_mode',
      'REPOS_CONFIG_FILE repositories[0].max_runners',
      'REPOS_CONFIG_FILE repositories[1].id',
      'REPOS_CONFIG_FILE repositories[2].github_url',
      'REPOS_CONFIG_FILE repositories[2].id',
    ]);
  });

  it('says when the file is missing or not JSON', () => {
    const missing = load({ REPOS_CONFIG_FILE: '/nope.json' });
    expect(!missing.ok && missing.problems).toEqual([
      { setting: 'REPOS_CONFIG_FILE', reason: '/nope.json does not exist' },
    ]);
    const broken = load({ REPOS_CONFIG_FILE: '/repos.json' }, { '/repos.json': '{ nope' });
    expect(!broken.ok && broken.problems[0]?.reason).toBe('/repos.json is not valid JSON');
  });
});

describe('loadConfig catches mistakes at start', () => {
  const file = (content: unknown) => ({ '/repos.json': JSON.stringify(content) });
  const problems = (result: ConfigResult) => (result.ok ? [] : result.problems);

  it('names an unknown key in an entry or in defaults with the nearest known one', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      file({
        repositories: [
          { id: 'a', github_url: 'https://github.com/o/a', github_token: 't', max_runer: 3 },
        ],
        defaults: { runer_image: 'x', colour: 'blue' },
        extra: true,
      }),
    );
    expect(problems(result)).toEqual(
      expect.arrayContaining([
        {
          setting: 'REPOS_CONFIG_FILE repositories[0].max_runer',
          reason: 'unknown setting; did you mean "max_runners"?',
        },
        {
          setting: 'REPOS_CONFIG_FILE defaults.runer_image',
          reason: 'unknown setting; did you mean "runner_image"?',
        },
        { setting: 'REPOS_CONFIG_FILE defaults.colour', reason: 'unknown setting' },
        { setting: 'REPOS_CONFIG_FILE extra', reason: 'unknown setting' },
      ]),
    );
    expect(problems(result)).toHaveLength(4);
  });

  it('coerces no wrong JSON type', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      file({
        repositories: [
          {
            id: 'a',
            github_url: 'https://github.com/o/a',
            github_token: 't',
            min_idle_runners: true,
            max_runners: '5',
            dind_privileged: 'yes',
          },
        ],
      }),
    );
    expect(
      problems(result)
        .map((p) => p.setting)
        .sort(),
    ).toEqual([
      'REPOS_CONFIG_FILE repositories[0].dind_privileged',
      'REPOS_CONFIG_FILE repositories[0].max_runners',
      'REPOS_CONFIG_FILE repositories[0].min_idle_runners',
    ]);
  });

  it('reports an empty token together with a bad URL, not after it is fixed', () => {
    const result = load({ GITHUB_URL: 'https://example.com/not/a/repo/x', GITHUB_TOKEN: '' });
    expect(problems(result).map((p) => p.setting)).toEqual(['GITHUB_URL', 'GITHUB_TOKEN']);
  });

  it('says whether a file is missing or unreadable, and by whom', () => {
    const denied = (path: string): string => {
      throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
    };
    const unreadable = loadConfig({
      env: { REPOS_CONFIG_FILE: '/c/repos.json' },
      readFile: denied,
      uid: 65532,
    });
    expect(problems(unreadable)).toEqual([
      {
        setting: 'REPOS_CONFIG_FILE',
        reason:
          "/c/repos.json cannot be read by the controller's user (uid 65532): permission denied",
      },
    ]);
    const missing = loadConfig({
      env: {
        GITHUB_URL: 'https://github.com/o/r',
        GITHUB_APP_ID: '1',
        GITHUB_APP_PRIVATE_KEY_FILE: '/k.pem',
      },
      readFile: (path) => {
        throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      },
    });
    expect(problems(missing)).toEqual([
      { setting: 'GITHUB_APP_PRIVATE_KEY_FILE', reason: '/k.pem does not exist' },
    ]);
  });

  it('warns of an environment variable that looks like a misspelt setting', () => {
    const result = load({
      GITHUB_URL: 'https://github.com/o/r',
      GITHUB_TOKEN: 't',
      MAX_RUNNER: '4',
      RUNNER_LABEL: 'x',
      RUNNER_TEMP: '/tmp',
      GITHUB_SHA: 'abc',
      DOCKER_GID: '999',
    });
    expect(result.ok && result.config.warnings).toEqual([
      'MAX_RUNNER is not a setting; did you mean MAX_RUNNERS?',
      'RUNNER_LABEL is not a setting; did you mean RUNNER_LABELS?',
    ]);
  });
});

describe('loadConfig with pools', () => {
  const file = (content: unknown) => ({ '/repos.json': JSON.stringify(content) });

  it('gives an entry several pools that inherit its settings, ids under the entry', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json', MAX_RUNNERS: '12' },
      file({
        repositories: [
          {
            id: 'app',
            github_url: 'https://github.com/o/app',
            github_token: 't',
            runner_image: 'img',
            pools: [
              { id: 'x64', runner_labels: 'self-hosted,linux,x64', max_runners: 4 },
              {
                id: 'arm',
                runner_labels: ['self-hosted', 'linux', 'arm64'],
                platform: 'linux/arm64',
                runner_docker_mode: 'none',
              },
            ],
          },
          { id: 'flat', github_url: 'https://github.com/o/flat', github_token: 't' },
        ],
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { repos, pools } = result.config;
    expect(repos.map((repo) => [repo.id, repo.pools.map((pool) => pool.id)])).toEqual([
      ['app', ['app/x64', 'app/arm']],
      ['flat', ['flat']],
    ]);
    expect(pools[0]).toMatchObject({
      repoId: 'app',
      runnerImage: 'img',
      maxRunners: 4,
      platform: undefined,
    });
    expect(pools[1]).toMatchObject({ platform: 'linux/arm64', dockerMode: 'none', maxRunners: 12 });
  });

  it('reads limits, scale-set sources and extra labels', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      file({
        repositories: [
          {
            id: 'app',
            github_url: 'https://github.com/o/app',
            github_token: 't',
            runner_memory: '4g',
            dind_cpus: 1.5,
            runner_container_labels: { team: 'ci' },
            pools: [{ id: 'big', job_source: 'scaleset', scale_set_name: 'big-builders' }],
          },
        ],
      }),
    );
    expect(result.ok && result.config.pools[0]).toMatchObject({
      jobSource: { kind: 'scaleset', scaleSetName: 'big-builders' },
      containerLabels: { team: 'ci' },
      limits: { runner: { memoryBytes: 4 * 2 ** 30 }, dind: { cpus: 1.5 } },
    });
  });

  it('names wrong pools and a repository declared twice', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      file({
        repositories: [
          {
            id: 'app',
            github_url: 'https://github.com/o/app',
            github_token: 't',
            pools: [
              { id: 'a' },
              { id: 'a', platfrom: 'linux/arm64' },
              { id: 's', job_source: 'scaleset' },
            ],
          },
          { id: 'again', github_url: 'https://github.com/O/App', github_token: 't' },
        ],
      }),
    );
    expect(!result.ok && result.problems.map((p) => p.setting)).toEqual([
      'REPOS_CONFIG_FILE repositories[0].pools[1].platfrom',
      'REPOS_CONFIG_FILE repositories[0].pools[1].id',
      'REPOS_CONFIG_FILE repositories[0].pools[2].scale_set_name',
      'REPOS_CONFIG_FILE repositories[1].github_url',
    ]);
  });
});

describe('loadConfig with DOCKER_ENGINES', () => {
  it('reads endpoints, TLS files by path, capacities, platforms and labels', () => {
    const result = load(
      {
        GITHUB_URL: 'https://github.com/o/r',
        GITHUB_TOKEN: 't',
        DOCKER_ENGINES: JSON.stringify([
          { name: 'local', endpoint: 'unix:///var/run/docker.sock', capacity: 4 },
          {
            name: 'arm',
            endpoint: 'tcp://arm.example.com:2376',
            tls: { ca: '/c/ca.pem', cert: '/c/cert.pem', key: '/c/key.pem' },
            capacity: 8,
            platforms: ['linux/arm64'],
            labels: { site: 'lab' },
          },
          {
            name: 'ssh',
            endpoint: 'ssh://ci@box',
            ssh_key_file: '/c/id',
            ssh_known_hosts_file: '/c/known_hosts',
            capacity: 2,
          },
        ]),
      },
      Object.fromEntries(
        ['/c/ca.pem', '/c/cert.pem', '/c/key.pem', '/c/id', '/c/known_hosts'].map((f) => [
          f,
          'file',
        ]),
      ),
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.config.engines).toEqual([
      expect.objectContaining({
        name: 'local',
        endpoint: { kind: 'unix', socketPath: '/var/run/docker.sock' },
      }),
      expect.objectContaining({
        name: 'arm',
        endpoint: {
          kind: 'tcp',
          host: 'arm.example.com',
          port: 2376,
          tls: { ca: '/c/ca.pem', cert: '/c/cert.pem', key: '/c/key.pem' },
        },
        platforms: ['linux/arm64'],
        labels: { site: 'lab' },
      }),
      expect.objectContaining({
        endpoint: {
          kind: 'ssh',
          user: 'ci',
          host: 'box',
          port: 22,
          keyFile: '/c/id',
          knownHostsFile: '/c/known_hosts',
        },
      }),
    ]);
  });

  it('reads a Docker context by name from the context store', () => {
    const digest = createHash('sha256').update('buildbox').digest('hex');
    const result = load(
      {
        GITHUB_URL: 'https://github.com/o/r',
        GITHUB_TOKEN: 't',
        DOCKER_CONFIG: '/home/u/.docker',
        DOCKER_ENGINES: '@/engines.json',
      },
      {
        '/engines.json': JSON.stringify([{ name: 'bb', context: 'buildbox', capacity: 3 }]),
        [`/home/u/.docker/contexts/meta/${digest}/meta.json`]: JSON.stringify({
          Name: 'buildbox',
          Endpoints: { docker: { Host: 'tcp://10.0.0.7:2376' } },
        }),
        [`/home/u/.docker/contexts/tls/${digest}/docker/cert.pem`]: 'cert',
        [`/home/u/.docker/contexts/tls/${digest}/docker/ca.pem`]: 'ca',
        [`/home/u/.docker/contexts/tls/${digest}/docker/key.pem`]: 'key',
      },
    );
    expect(result.ok && result.config.engines?.[0]?.endpoint).toEqual({
      kind: 'tcp',
      host: '10.0.0.7',
      port: 2376,
      tls: {
        ca: `/home/u/.docker/contexts/tls/${digest}/docker/ca.pem`,
        cert: `/home/u/.docker/contexts/tls/${digest}/docker/cert.pem`,
        key: `/home/u/.docker/contexts/tls/${digest}/docker/key.pem`,
      },
    });
  });

  it('names every wrong engine setting', () => {
    const result = load({
      GITHUB_URL: 'https://github.com/o/r',
      GITHUB_TOKEN: 't',
      DOCKER_ENGINES: JSON.stringify([
        { name: 'a', endpoint: 'http://x', capacity: 0, capacty: 1 },
        { name: 'b', context: 'nope', capacity: 1 },
        { name: 'unverified', endpoint: 'ssh://ci@other', capacity: 1 },
      ]),
    });
    expect(!result.ok && result.problems.map((p) => p.setting)).toEqual([
      'DOCKER_ENGINES[0].endpoint',
      'DOCKER_ENGINES[0].capacity',
      'DOCKER_ENGINES[0].capacty',
      'DOCKER_ENGINES[1].context',
      'DOCKER_ENGINES[2].ssh_known_hosts_file',
    ]);
  });
});

describe('the examples users copy', () => {
  const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

  it('repos.example.json is a valid configuration', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n';
    const result = load(
      { REPOS_CONFIG_FILE: '/config/repos.json' },
      { '/config/repos.json': read('repos.example.json'), '/config/github-app.pem': pem },
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.config.pools.map((pool) => pool.id)).toEqual([
      'myapp/x64',
      'myapp/arm64',
      'myapp/sandboxed',
      'myorg',
      'behind-nat',
    ]);
  });

  it('.env.example, with a repository and token filled in, is a valid configuration and warns of nothing', () => {
    const env: Record<string, string> = {};
    for (const line of read('.env.example').split('\n')) {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (match?.[1] !== undefined) env[match[1]] = match[2] ?? '';
    }
    env.GITHUB_URL = 'https://github.com/octocat/hello-world';
    env.GITHUB_TOKEN = 'ghp_example';
    env.RUNNER_IMAGE = 'ghcr.io/runner-autoscaler/runner-autoscaler-runner:latest';
    const result = load(env);
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.config.warnings).toEqual([]);
  });
});
