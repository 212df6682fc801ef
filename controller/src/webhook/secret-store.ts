import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RepoConfig } from '../config/config-types.ts';

export type SecretSource = 'setting' | 'file' | 'generated';

/**
 * The webhook secret of a pool: the configured one, else DATA_DIR/secrets/<id>, else 32 random
 * bytes written there (mode 0600, atomically) so a restart keeps verifying the same hook.
 */
export async function loadWebhookSecret(
  dataDir: string,
  poolId: string,
  configured: string | undefined,
): Promise<{ secret: string; source: SecretSource }> {
  if (configured !== undefined) return { secret: configured, source: 'setting' };
  const dir = join(dataDir, 'secrets');
  const file = join(dir, poolId);
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length > 0) return { secret: stored, source: 'file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('hex');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, secret, { mode: 0o600 });
  await rename(temporary, file);
  return { secret, source: 'generated' };
}

/** The webhook secret of each entry webhooks feed, by entry id; each load is logged. */
export async function loadWebhookSecrets(
  dataDir: string,
  repos: readonly RepoConfig[],
  log: Logger,
): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  for (const repo of repos) {
    const { secret, source } = await loadWebhookSecret(dataDir, repo.id, repo.webhookSecret);
    secrets.set(repo.id, secret);
    log.info({ repo: repo.id, source }, 'webhook secret loaded');
  }
  return secrets;
}
