import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

// Prints the webhook secrets the controller generated and keeps in DATA_DIR/secrets/<repo id>,
// for pasting into GitHub's webhook settings. The controller image has no shell, so this runs with
// its node:
//
//   docker compose -f docker-compose.autoscale.yml exec controller \
//     /nodejs/bin/node controller/dist/show-secret.js [repo-id]
//
// With a repository id it prints that secret alone (for `$(...)`); without, one line per stored
// secret: `<repo id> <secret>`. A secret set by WEBHOOK_SECRET or webhook_secret is never stored,
// so it is not listed. This is a second composition root: only main() below reads the environment.

const REPO_ID = /^[A-Za-z0-9_.-]{1,63}$/;
// secret-store.ts writes `<id>.<pid>.tmp` and renames it; a crash can leave one behind.
const TEMPORARY = /\.\d+\.tmp$/;

/** The secrets folder, as the reading logic sees it. */
export type SecretFiles = {
  /** File names in the folder; rejects with code ENOENT when there is no folder. */
  list: () => Promise<string[]>;
  read: (name: string) => Promise<string>;
};

export type ShowSecretResult = { ok: true; output: string } | { ok: false; error: string };

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

function unreadable(dir: string, error: unknown): ShowSecretResult {
  if (codeOf(error) === 'EACCES') {
    return {
      ok: false,
      error: `${dir}: permission denied; run this as the controller's user (uid 65532), e.g. with docker compose exec controller`,
    };
  }
  return { ok: false, error: `${dir}: cannot be read (${codeOf(error) ?? 'error'})` };
}

/** The stored secret of one repository, or all of them; never echoes a secret in an error. */
export async function showSecrets(
  files: SecretFiles,
  dir: string,
  repoId: string | undefined,
): Promise<ShowSecretResult> {
  if (repoId !== undefined && (!REPO_ID.test(repoId) || /^\.+$/.test(repoId))) {
    return { ok: false, error: `not a repository id: ${JSON.stringify(repoId)}` };
  }
  let names: string[];
  try {
    names = (await files.list()).filter((name) => REPO_ID.test(name) && !TEMPORARY.test(name));
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') return unreadable(dir, error);
    names = [];
  }
  names.sort();
  if (names.length === 0) {
    return {
      ok: false,
      error: `no webhook secret is stored in ${dir}: the controller generates one there at its first start for each repository without WEBHOOK_SECRET (webhook_secret in repos.json)`,
    };
  }
  if (repoId !== undefined && !names.includes(repoId)) {
    return {
      ok: false,
      error: `no stored secret for repository ${repoId} in ${dir} (stored: ${names.join(', ')}); a secret set by WEBHOOK_SECRET or webhook_secret is not stored`,
    };
  }
  const wanted = repoId === undefined ? names : [repoId];
  const lines: string[] = [];
  for (const name of wanted) {
    let secret: string;
    try {
      secret = (await files.read(name)).trim();
    } catch (error) {
      return unreadable(join(dir, name), error);
    }
    lines.push(repoId === undefined ? `${name} ${secret}` : secret);
  }
  return { ok: true, output: `${lines.join('\n')}\n` };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 1 || args[0]?.startsWith('-')) {
    process.stderr.write('usage: show-secret.js [repo-id]\n');
    process.exitCode = 2;
    return;
  }
  const dir = join(process.env.DATA_DIR ?? '/data', 'secrets');
  const result = await showSecrets(
    { list: () => readdir(dir), read: (name) => readFile(join(dir, name), 'utf8') },
    dir,
    args[0],
  );
  if (result.ok) {
    process.stdout.write(result.output);
  } else {
    process.stderr.write(`show-secret: ${result.error}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
