export const LABEL_PREFIX = 'io.runner-autoscaler';

export const LABELS = {
  controller: `${LABEL_PREFIX}.controller`,
  repo: `${LABEL_PREFIX}.repo`,
  pool: `${LABEL_PREFIX}.pool`,
  runnerName: `${LABEL_PREFIX}.runner-name`,
  role: `${LABEL_PREFIX}.role`,
  jobId: `${LABEL_PREFIX}.job-id`,
  engine: `${LABEL_PREFIX}.engine`,
} as const;

/** The pool a container belongs to; containers of versions before pools carry the repo only. */
export function poolOfLabels(labels: Record<string, string | undefined>): string {
  return labels[LABELS.pool] ?? labels[LABELS.repo] ?? '';
}
