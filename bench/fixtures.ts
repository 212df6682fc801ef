import { createHmac } from 'node:crypto';
import { loadConfig, type RepoConfig } from '../controller/src/config/load-config.ts';
import { workflowJobExample } from '../test/support/fixtures/webhook-examples.ts';

export const SECRET = 'bench-secret';
export const REPO = 'lineville/elastic-machines-testing';
/** Exceeds any job id in the example payload, so replacing it is unambiguous. */
const ID_MARK = 999_999_999_999_999;

/** The controller's own configuration for one repository whose labels the example matches. */
export function benchRepos(): RepoConfig[] {
  const result = loadConfig({
    env: {
      GITHUB_URL: `https://github.com/${REPO}`,
      GITHUB_TOKEN: 't',
      RUNNER_LABELS: 'self-hosted,linux,k8s',
    },
    readFile: () => '',
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config.repos;
}

export type SignedBody = { body: Buffer; signature: string };

export function signBody(body: Buffer, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Signed `queued` deliveries (GitHub's own example, ~11 KB) with the given job id. */
export function queuedDeliveries(): (jobId: number) => SignedBody {
  const example = workflowJobExample('queued', REPO);
  (example.workflow_job as { id: number }).id = ID_MARK;
  const [head, tail] = JSON.stringify(example).split(String(ID_MARK));
  if (head === undefined || tail === undefined) throw new Error('job id not found in example');
  return (jobId) => {
    const body = Buffer.from(`${head}${jobId}${tail}`);
    return { body, signature: signBody(body) };
  };
}

/** A valid workflow_job body padded to exactly `bytes` bytes (ASCII). */
export function paddedBody(bytes: number): Buffer {
  const example = workflowJobExample('queued', REPO);
  const bare = JSON.stringify({ ...example, pad: '' });
  if (bare.length > bytes) throw new Error(`example is larger than ${bytes} bytes`);
  return Buffer.from(JSON.stringify({ ...example, pad: 'x'.repeat(bytes - bare.length) }));
}
