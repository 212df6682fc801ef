import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigResult } from '../../controller/src/config/load-config.ts';

// Issue 17: settings a newcomer gets wrong, each named with what to do instead.
/** expect's string matcher, typed for use inside object literals. */
const text = (pattern: string): unknown => expect.stringContaining(pattern);
const enoent = (path: string): never => {
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
    code: 'ENOENT',
  });
};
const load = (
  env: Record<string, string>,
  files: Record<string, string> = {},
  extra: { uid?: number; dataDir?: (path: string) => void } = {},
): ConfigResult => loadConfig({ env, readFile: (path) => files[path] ?? enoent(path), ...extra });
const problemsOf = (result: ConfigResult) => (result.ok ? [] : result.problems);
const warningsOf = (result: ConfigResult) => (result.ok ? result.config.warnings : []);
const BASE = { GITHUB_URL: 'https://github.com/octo/hello', GITHUB_TOKEN: 'ghp_x' };
const reposFile = (repositories: unknown[], defaults?: unknown) => ({
  '/repos.json': JSON.stringify({ repositories, ...(defaults ? { defaults } : {}) }),
});

describe('REPOS_CONFIG_FILE beside single-repository settings (defect 3)', () => {
  it('warns that GITHUB_URL and WEBHOOK_SECRET of the environment are not used', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json', GITHUB_URL: BASE.GITHUB_URL, WEBHOOK_SECRET: 's3cr3t' },
      reposFile([{ id: 'a', github_url: 'https://github.com/o/a', github_token: 't' }]),
    );
    expect(problemsOf(result)).toEqual([]);
    expect(warningsOf(result)).toEqual([
      expect.stringMatching(/^GITHUB_URL is ignored with REPOS_CONFIG_FILE: /),
      expect.stringMatching(/^WEBHOOK_SECRET is ignored with REPOS_CONFIG_FILE: .*webhook_secret/),
    ]);
    expect(warningsOf(result).join('\n')).not.toContain('s3cr3t');
  });
});

describe('impossible settings (defect 4)', () => {
  it('refuses a warm pool larger than its cap, in the environment and in a file', () => {
    expect(problemsOf(load({ ...BASE, MAX_RUNNERS: '3', MIN_IDLE_RUNNERS: '5' }))).toEqual([
      { setting: 'MIN_IDLE_RUNNERS', reason: text('more than the pool') },
    ]);
    const file = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      reposFile([
        {
          id: 'a',
          github_url: 'https://github.com/o/a',
          github_token: 't',
          pools: [{ id: 'x', max_runners: 2, min_idle_runners: 3 }],
        },
      ]),
    );
    expect(problemsOf(file)).toEqual([
      {
        setting: 'REPOS_CONFIG_FILE repositories[0].pools[0].min_idle_runners',
        reason: text('3 is more than the pool'),
      },
    ]);
  });

  it('warns that MAX_RUNNERS wins over a larger pool cap', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json', MAX_RUNNERS: '4' },
      reposFile([
        { id: 'a', github_url: 'https://github.com/o/a', github_token: 't', max_runners: 9 },
      ]),
    );
    expect(warningsOf(result)).toEqual([
      'pool a: max_runners 9 is above MAX_RUNNERS 4; MAX_RUNNERS, the cap over all pools, wins: at most 4 of its runners run',
    ]);
  });

  it('refuses two webhook pools of one repository with the same labels, in any order or case', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      reposFile([
        {
          id: 'a',
          github_url: 'https://github.com/o/a',
          github_token: 't',
          pools: [
            { id: 'one', runner_labels: 'self-hosted,linux,x64' },
            { id: 'two', runner_labels: ['X64', 'linux', 'self-hosted'] },
            {
              id: 'set',
              runner_labels: 'self-hosted,linux,x64',
              job_source: 'scaleset',
              scale_set_name: 's',
            },
          ],
        },
      ]),
    );
    expect(problemsOf(result)).toEqual([
      {
        setting: 'REPOS_CONFIG_FILE repositories[0].pools[1].runner_labels',
        reason: text('the same labels as pool "a/one"'),
      },
    ]);
  });

  it.each([
    ['https://github.com/enterprises/acme', 'an enterprise is not served'],
    ['https://github.com/OWNER/REPO', "is the example's placeholder"],
    ['https://github.com/ORG', "is the example's placeholder"],
  ])('refuses %s', (url, reason) => {
    expect(problemsOf(load({ ...BASE, GITHUB_URL: url }))).toEqual([
      { setting: 'GITHUB_URL', reason: text(reason) },
    ]);
  });
});

describe('messages that name the setting and the fix (defect 6)', () => {
  const engines = (list: unknown) => load({ ...BASE, DOCKER_ENGINES: JSON.stringify(list) });

  it('checks engine TLS and SSH files at start, naming the setting, the file and the uid', () => {
    const result = load(
      {
        ...BASE,
        DOCKER_ENGINES: JSON.stringify([
          {
            name: 'arm-box',
            endpoint: 'tcp://10.0.0.7:2376',
            tls: { ca: '/certs/arm-box/ca.pem', cert: '/certs/c.pem', key: '/certs/k.pem' },
            capacity: 2,
          },
          {
            name: 'big',
            endpoint: 'ssh://ci@big',
            ssh_key_file: '/keys/id',
            ssh_known_hosts_file: '/keys/known_hosts',
            capacity: 2,
          },
        ]),
      },
      { '/certs/c.pem': 'c', '/certs/k.pem': 'k', '/keys/known_hosts': 'h' },
      { uid: 65532 },
    );
    expect(problemsOf(result)).toEqual([
      { setting: 'DOCKER_ENGINES[0].tls.ca', reason: '/certs/arm-box/ca.pem does not exist' },
      { setting: 'DOCKER_ENGINES[1].ssh_key_file', reason: '/keys/id does not exist' },
    ]);
    const denied = loadConfig({
      env: {
        ...BASE,
        DOCKER_ENGINES: JSON.stringify([
          { name: 'b', endpoint: 'ssh://b', ssh_known_hosts_file: '/k', capacity: 1 },
        ]),
      },
      readFile: () => {
        throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      },
      uid: 65532,
    });
    expect(problemsOf(denied)).toEqual([
      {
        setting: 'DOCKER_ENGINES[0].ssh_known_hosts_file',
        reason: "/k cannot be read by the controller's user (uid 65532): permission denied",
      },
    ]);
  });

  it('names DATA_DIR when the controller cannot write it, with the uid and the fix', () => {
    const result = load(
      BASE,
      {},
      {
        uid: 1000,
        dataDir: () => {
          throw Object.assign(new Error("EACCES: permission denied, mkdir '/data'"), {
            code: 'EACCES',
          });
        },
      },
    );
    expect(problemsOf(result)).toEqual([
      {
        setting: 'DATA_DIR',
        reason:
          "/data cannot be created or written by the controller's user (uid 1000); set DATA_DIR to a directory it can write (npm start: DATA_DIR=./data)",
      },
    ]);
    expect(problemsOf(load(BASE, {}, { dataDir: () => undefined }))).toEqual([]);
  });

  it('says what runner_labels may be when a label is not a string', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      reposFile([
        {
          id: 'a',
          github_url: 'https://github.com/o/a',
          github_token: 't',
          runner_labels: ['self-hosted', 7],
        },
      ]),
    );
    expect(problemsOf(result)).toEqual([
      {
        setting: 'REPOS_CONFIG_FILE repositories[0].runner_labels',
        reason: 'must be a comma-separated string or a list of strings',
      },
    ]);
  });

  it('says an engine needs a capacity, and what it is', () => {
    expect(problemsOf(engines([{ name: 'a', endpoint: 'unix:///var/run/docker.sock' }]))).toEqual([
      {
        setting: 'DOCKER_ENGINES[0].capacity',
        reason: 'required: how many runners (each with its dind sidecar) the engine may hold',
      },
    ]);
  });

  it('hints at @ when DOCKER_ENGINES looks like a path', () => {
    expect(problemsOf(load({ ...BASE, DOCKER_ENGINES: '/config/engines.json' }))).toEqual([
      {
        setting: 'DOCKER_ENGINES',
        reason: 'is not valid JSON; to read a file, write @/config/engines.json',
      },
    ]);
  });
});

describe('secrets from files (defect 15)', () => {
  it('reads GITHUB_TOKEN_FILE and WEBHOOK_SECRET_FILE, without their trailing newline', () => {
    const result = load(
      {
        GITHUB_URL: BASE.GITHUB_URL,
        GITHUB_TOKEN_FILE: '/run/secrets/token',
        WEBHOOK_SECRET_FILE: '/run/secrets/hook',
      },
      { '/run/secrets/token': 'ghp_from_file\n', '/run/secrets/hook': 'hook-secret\n' },
    );
    expect(problemsOf(result)).toEqual([]);
    const repo = result.ok ? result.config.repos[0] : undefined;
    expect(repo?.auth).toEqual({ kind: 'token', token: 'ghp_from_file' });
    expect(repo?.webhookSecret).toBe('hook-secret');
  });

  it('reads github_token_file and webhook_secret_file in repos.json too', () => {
    const result = load(
      { REPOS_CONFIG_FILE: '/repos.json' },
      {
        ...reposFile([{ id: 'a', github_url: 'https://github.com/o/a', github_token_file: '/t' }], {
          webhook_secret_file: '/w',
        }),
        '/t': 'tok',
        '/w': 'sec',
      },
    );
    const repo = result.ok ? result.config.repos[0] : undefined;
    expect(repo?.auth).toEqual({ kind: 'token', token: 'tok' });
    expect(repo?.webhookSecret).toBe('sec');
  });

  it('names a missing token file, an empty one, and a token given twice', () => {
    expect(problemsOf(load({ GITHUB_URL: BASE.GITHUB_URL, GITHUB_TOKEN_FILE: '/nope' }))).toEqual([
      { setting: 'GITHUB_TOKEN_FILE', reason: '/nope does not exist' },
    ]);
    expect(
      problemsOf(load({ ...BASE, GITHUB_TOKEN: '', GITHUB_TOKEN_FILE: '/e' }, { '/e': '\n' })),
    ).toEqual([{ setting: 'GITHUB_TOKEN_FILE', reason: '/e is empty' }]);
    const twice = load({ ...BASE, GITHUB_TOKEN_FILE: '/t' }, { '/t': 'ghp_y' });
    expect(problemsOf(twice)).toEqual([
      { setting: 'GITHUB_TOKEN_FILE', reason: 'set GITHUB_TOKEN or GITHUB_TOKEN_FILE, not both' },
    ]);
    expect(JSON.stringify(problemsOf(twice))).not.toContain('ghp_');
  });
});
