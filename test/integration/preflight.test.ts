import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import { freePort } from '../support/harness/free-port.ts';
import { STUB_IMAGE } from '../support/harness/harness.ts';

// The preflight check (`npm run check`, controller/dist/check.js in the image) against the fake
// GitHub and this machine's Docker engine: each problem is named with its fix, and the exit
// code says whether any check failed. It changes nothing.
const ROOT = new URL('../..', import.meta.url).pathname;
const HOST = 'https://ci.example.com';
const SECRET = 'preflight-secret';

type Run = { status: number | null; output: string };

function runCheck(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'controller/src/check.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, output }));
  });
}

let fake: FakeGitHub | undefined;
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'autoscaler-preflight-'));
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.log(lastRun?.output);
  await fake?.close();
  fake = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

let lastRun: Run | undefined;

async function check(options: {
  repo?: string;
  env?: Record<string, string>;
  hook?: 'json' | 'form' | 'none';
  deny?: ('runners' | 'hooks')[];
  readOnly?: 'runners'[];
}): Promise<Run> {
  fake = await startFakeGitHub({
    tokens: [
      { token: 'preflight-token', deny: options.deny ?? [], readOnly: options.readOnly ?? [] },
    ],
  });
  if (options.hook !== 'none')
    fake.setWebhookTarget({
      url: `${HOST}/webhook`,
      secret: SECRET,
      contentType: options.hook ?? 'json',
    });
  lastRun = await runCheck({
    GITHUB_URL: `https://github.com/${options.repo ?? 'octocat/hello-world'}`,
    GITHUB_API_URL: fake.apiUrl,
    GITHUB_TOKEN: 'preflight-token',
    WEBHOOK_HOST: HOST,
    RUNNER_IMAGE: STUB_IMAGE,
    RUNNER_DOCKER_MODE: 'none',
    DATA_DIR: join(dataDir, 'data'),
    ...options.env,
  });
  return lastRun;
}

const failures = (run: Run) => run.output.split('\n').filter((line) => line.startsWith('FAIL'));

describe('the preflight check', () => {
  it('passes every check and exits 0 when all is well, without a change on GitHub', async () => {
    const run = await check({});
    expect(failures(run)).toEqual([]);
    expect(run.status).toBe(0);
    for (const line of [
      'ok   github   octocat-hello-world: octocat/hello-world exists and the credential can see it',
      'ok   github   octocat-hello-world: octocat/hello-world: the credential can list self-hosted runners',
      'ok   github   octocat-hello-world: octocat/hello-world: the credential can register self-hosted runners',
      'ok   github   octocat-hello-world: octocat/hello-world: the credential can read workflow runs (resync)',
      `ok   engine   local (unix:///var/run/docker.sock): ${STUB_IMAGE} is there`,
      `ok   data     DATA_DIR ${join(dataDir, 'data')} will be made in ${dataDir}`,
      'All checks passed.',
    ])
      expect(run.output).toContain(line);
    expect(run.output).toMatch(
      /ok {3}webhook {2}octocat-hello-world: octocat\/hello-world: hook \d+ sends workflow_job events to https:\/\/ci\.example\.com\/webhook\n/,
    );
    expect(run.output).toMatch(/ok {3}webhook {2}.*: hook \d+ has no delivery yet\n/);
    expect(run.output).not.toContain('preflight-token');
    expect(run.output).not.toContain(SECRET);
    // One write: a registration token, which expires unused and registers no runner.
    const writes = fake?.requests().filter((request) => request.method !== 'GET') ?? [];
    expect(writes.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /repos/octocat/hello-world/actions/runners/registration-token',
    ]);
    expect(fake?.runners()).toEqual([]);
    fake?.assertClean();
  });

  it('names a token without the runners permission, with the permission to add', async () => {
    const run = await check({ deny: ['runners'] });
    expect(run.status).toBe(1);
    expect(failures(run)).toEqual([
      expect.stringContaining(
        'listing runners: GitHub answered 403 (Resource not accessible by personal access token)',
      ),
    ]);
    expect(run.output).toMatch(/fix: the token needs Administration: read and write/);
  });

  it('names a token that can list runners but not register them (Administration: read)', async () => {
    // Review of issue 19: listing runners needs read only; the check said the token "can manage
    // self-hosted runners" after it, and the controller's generate-jitconfig then got 403.
    const run = await check({ readOnly: ['runners'] });
    expect(run.status).toBe(1);
    expect(run.output).toContain(
      'ok   github   octocat-hello-world: octocat/hello-world: the credential can list self-hosted runners',
    );
    expect(failures(run)).toEqual([
      expect.stringContaining(
        'octocat/hello-world: creating a registration token: GitHub answered 403 (Resource not accessible by personal access token)',
      ),
    ]);
    expect(run.output).toMatch(/fix: the token needs Administration: read and write/);
  });

  it('names a repository that does not exist', async () => {
    const run = await check({ repo: 'octocat/nope' });
    expect(run.status).toBe(1);
    expect(failures(run)).toEqual([
      expect.stringContaining(
        'GitHub answered 404 (Not Found): the repository octocat/nope does not exist',
      ),
    ]);
    expect(run.output).toContain('fix: check GITHUB_URL');
  });

  it('names an engine that does not answer', async () => {
    const port = await freePort();
    const run = await check({
      env: {
        DOCKER_ENGINES: JSON.stringify([
          { name: 'gone', endpoint: `tcp://127.0.0.1:${port}`, capacity: 2 },
        ]),
      },
    });
    expect(run.status).toBe(1);
    expect(failures(run)).toEqual([
      expect.stringMatching(
        new RegExp(`gone \\(tcp://127\\.0\\.0\\.1:${port}\\) does not answer: .*ECONNREFUSED`),
      ),
    ]);
  });

  it('fails a pool whose OCI runtime no engine offers, as the controller refuses to start', async () => {
    // Review of issue 19: the check passed such a pool; the controller then exited at start.
    const run = await check({ env: { RUNNER_RUNTIME: 'kata-nowhere' } });
    expect(run.status).toBe(1);
    expect(failures(run)).toEqual([
      expect.stringMatching(
        /^FAIL engine {3}pool octocat-hello-world: runner_runtime "kata-nowhere" is not offered by engine local \(it offers: .*runc.*\)$/,
      ),
    ]);
    expect(run.output).toContain('fix: register the runtime in the engine');
    const offered = await check({ env: { RUNNER_RUNTIME: 'runc' } });
    expect(failures(offered)).toEqual([]);
    expect(offered.output).toContain(
      'ok   engine   pool octocat-hello-world: runc offered by local',
    );
  });

  it('names a hook that sends form encoding', async () => {
    const run = await check({ hook: 'form' });
    expect(run.status).toBe(1);
    expect(failures(run)).toEqual([
      expect.stringMatching(/hook \d+ sends application\/x-www-form-urlencoded, not JSON$/),
    ]);
    expect(run.output).toContain('Content type application/json');
  });

  it('names a configuration error the way the controller does, before any request', async () => {
    const run = await check({ env: { MAX_RUNNERS: 'many' } });
    expect(run.status).toBe(1);
    expect(failures(run)).toEqual([expect.stringContaining('config   MAX_RUNNERS: ')]);
    expect(fake?.requests()).toEqual([]);
  });
});
