import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigResult } from '../../controller/src/config/load-config.ts';

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
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

  it('names every wrong setting at once and never echoes a value', () => {
    const result = load({
      GITHUB_URL: 'not a url',
      GITHUB_TOKEN: 'ghp_supersecret',
      MAX_RUNNERS: 'many',
      PORT: '70000',
      RUNNER_DOCKER_MODE: 'podman',
      LOG_LEVEL: 'loud',
      WEBHOOK_SECRET: '',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const settings = result.problems.map((problem) => problem.setting).sort();
    expect(settings).toEqual([
      'GITHUB_URL',
      'LOG_LEVEL',
      'MAX_RUNNERS',
      'PORT',
      'RUNNER_DOCKER_MODE',
    ]);
    expect(JSON.stringify(result.problems)).not.toContain('supersecret');
  });

  it('requires a URL and credentials', () => {
    const result = load({});
    expect(!result.ok && result.problems.map((p) => p.setting)).toEqual(['GITHUB_URL']);
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
      { setting: 'REPOS_CONFIG_FILE', reason: '/nope.json cannot be read' },
    ]);
    const broken = load({ REPOS_CONFIG_FILE: '/repos.json' }, { '/repos.json': '{ nope' });
    expect(!broken.ok && broken.problems[0]?.reason).toBe('/repos.json is not valid JSON');
  });
});
