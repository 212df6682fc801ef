import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { harnessForEachTest, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('a bad configuration', () => {
  it('names every wrong setting, prints no secret and exits non-zero before listening', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'controller/src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        GITHUB_URL: 'not-a-url',
        GITHUB_TOKEN: 'ghp_topsecretvalue',
        WEBHOOK_SECRET: 'hush-hush',
        MAX_RUNNERS: '-3',
        RUNNER_DOCKER_MODE: 'podman',
        PORT: '18181',
        DATA_DIR: '/tmp/autoscaler-bad-config',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    const output = `${result.stdout}${result.stderr}`;
    for (const name of ['GITHUB_URL', 'MAX_RUNNERS', 'RUNNER_DOCKER_MODE'])
      expect(output).toContain(`${name}:`);
    expect(output).not.toContain('topsecretvalue');
    expect(output).not.toContain('hush-hush');
    expect(output).not.toContain('listening');
  });
});

describe('a DATA_DIR the controller cannot write', () => {
  it('is named with the fix, before listening, instead of a bare mkdir error', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'controller/src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        GITHUB_URL: 'https://github.com/octocat/hello-world',
        GITHUB_TOKEN: 'ghp_x',
        // Under a file: no user, root included, can make it.
        DATA_DIR: '/etc/hostname/data',
        PORT: '18183',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(`${result.stdout}${result.stderr}`).toContain(
      'DATA_DIR: /etc/hostname/data is not a directory; set DATA_DIR to a directory it can write',
    );
  });
});

describe('a typo in repos.json', () => {
  let h: Harness;
  harnessForEachTest((made) => (h = made));

  it('exits 1 before listening and names the key with the one it resembles', () => {
    const file = h.writeFile(
      'repos.json',
      JSON.stringify({
        repositories: [
          { id: 'app', github_url: 'https://github.com/o/app', github_token: 't', max_runer: 3 },
        ],
        defaults: { min_idle_runners: true },
      }),
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'controller/src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', REPOS_CONFIG_FILE: file, PORT: '18182' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toContain(
      'repositories[0].max_runer: unknown setting; did you mean "max_runners"?',
    );
    expect(output).toMatch(/defaults\.min_idle_runners: .*expected number/);
    expect(output).not.toContain('listening');
  });
});

describe('SIGTERM while GitHub does not answer', () => {
  let h: Harness;
  harnessForEachTest((made) => (h = made));

  it('exits 0 within 10 s, aborting what is under way and saying what it left', async () => {
    const controller = await h.start();
    h.fake.failAlways({ status: 0, hang: true });
    await h.fake.queueJob({ labels: ['self-hosted', 'linux'] });
    await waitUntil(
      () => controller.logs().some((line) => line.msg === 'job event booked'),
      10_000,
      'the job booked, its runner registering',
    );
    const started = Date.now();
    const code = await controller.stop('SIGTERM');
    const took = Date.now() - started;
    expect(code).toBe(0);
    expect(took).toBeLessThan(10_000);
    const left = controller
      .logs()
      .filter((line) => line.msg === 'shutdown: work under way abandoned');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ spawnsLeft: 1 });
    expect(left[0]?.githubRequestsAborted).toBeGreaterThanOrEqual(1);
    h.fake.clearFaults();
  });
});

describe('request logging', () => {
  let h: Harness;
  harnessForEachTest((made) => (h = made));

  it('logs webhook requests but not probes and scrapes', async () => {
    const controller = await h.start();
    for (const path of ['/health', '/livez', '/metrics', '/'])
      await fetch(`${controller.url}${path}`);
    await fetch(`${controller.url}/webhook`, { method: 'POST', body: '{}' });
    const urls = () =>
      controller
        .logs()
        .filter((line) => line.msg === 'request completed')
        .map((line) => (line.request as { url: string }).url);
    await waitUntil(() => urls().length > 0, 5_000, 'a logged request');
    expect(urls()).toEqual(['/webhook']);
  });
});
