import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { showSecrets, type SecretFiles } from '../../controller/src/show-secret.ts';
import { loadWebhookSecret } from '../../controller/src/webhook/secret-store.ts';

/** expect's string matcher, typed for use inside object literals. */
const text = (pattern: string | RegExp): unknown =>
  typeof pattern === 'string' ? expect.stringContaining(pattern) : expect.stringMatching(pattern);

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../controller/src/show-secret.ts');

let dataDir: string;
let dir: string;
const folder = (): SecretFiles => ({
  list: () => readdir(dir),
  read: (name) => readFile(join(dir, name), 'utf8'),
});

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'show-secret-'));
  dir = join(dataDir, 'secrets');
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('showSecrets', () => {
  it('prints what the controller generated: one secret bare, all as "<id> <secret>" lines', async () => {
    const a = await loadWebhookSecret(dataDir, 'octocat-hello-world', undefined);
    const b = await loadWebhookSecret(dataDir, 'myorg', undefined);
    expect(a.source).toBe('generated');
    expect(await showSecrets(folder(), dir, 'octocat-hello-world')).toEqual({
      ok: true,
      output: `${a.secret}\n`,
    });
    expect(await showSecrets(folder(), dir, undefined)).toEqual({
      ok: true,
      output: `myorg ${b.secret}\noctocat-hello-world ${a.secret}\n`,
    });
  });

  it('skips what is not a secret file (a temporary left by a crash)', async () => {
    const a = await loadWebhookSecret(dataDir, 'repo', undefined);
    await writeFile(join(dir, 'repo.4242.tmp'), 'half-written');
    expect(await showSecrets(folder(), dir, undefined)).toEqual({
      ok: true,
      output: `repo ${a.secret}\n`,
    });
  });

  it('says why there is nothing, naming the stored ids but never a secret', async () => {
    const none = await showSecrets(folder(), dir, undefined);
    expect(none).toMatchObject({
      ok: false,
      error: text(/no webhook secret is stored in .*WEBHOOK_SECRET/),
    });
    const { secret } = await loadWebhookSecret(dataDir, 'repo', undefined);
    const missing = await showSecrets(folder(), dir, 'other');
    expect(missing).toMatchObject({ ok: false, error: text('(stored: repo)') });
    expect(JSON.stringify(missing)).not.toContain(secret);
  });

  it('refuses an id that could leave the folder', async () => {
    await loadWebhookSecret(dataDir, 'repo', undefined);
    for (const id of ['../repo', '..', 'a/b', '']) {
      expect(await showSecrets(folder(), dir, id)).toMatchObject({
        ok: false,
        error: text('not a repository id'),
      });
    }
  });

  it('names a folder it may not read and the user to read it as', async () => {
    const denied = Object.assign(new Error('denied'), { code: 'EACCES' });
    const result = await showSecrets(
      { list: () => Promise.reject(denied), read: () => Promise.reject(denied) },
      '/data/secrets',
      undefined,
    );
    expect(result).toMatchObject({ ok: false, error: text('uid 65532') });
  });
});

describe('show-secret command', () => {
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    });

  it('reads DATA_DIR and prints the secret on stdout only', async () => {
    const { secret } = await loadWebhookSecret(dataDir, 'octocat-hello-world', undefined);
    const { stdout, stderr } = await cli(['octocat-hello-world']);
    expect(stdout).toBe(`${secret}\n`);
    expect(stderr).toBe('');
  });

  it('exits 1 with the reason when there is no secret, 2 on bad usage', async () => {
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o700);
    await expect(cli([])).rejects.toMatchObject({
      code: 1,
      stderr: text(/^show-secret: no webhook secret is stored/),
    });
    await expect(cli(['a', 'b'])).rejects.toMatchObject({ code: 2 });
  });
});
