export const LABEL_PREFIX = 'io.runner-autoscaler';

export const LABELS = {
  controller: `${LABEL_PREFIX}.controller`,
  repo: `${LABEL_PREFIX}.repo`,
  pool: `${LABEL_PREFIX}.pool`,
  runnerName: `${LABEL_PREFIX}.runner-name`,
  role: `${LABEL_PREFIX}.role`,
  jobId: `${LABEL_PREFIX}.job-id`,
  engine: `${LABEL_PREFIX}.engine`,
  /** On a sidecar: the pool's cache volume it holds as its /var/lib/docker (its lease). */
  cacheVolume: `${LABEL_PREFIX}.cache-volume`,
  /** On a cache volume: its place in the pool's set (0 … dind_cache_volumes - 1). */
  cacheSlot: `${LABEL_PREFIX}.cache-slot`,
} as const;

/**
 * On a runner image: it keeps the runner in /home/runner with a `_work` folder its user owns,
 * and its entrypoint honours RUNNER_ROOT, so the controller may share the runner's folders with
 * the job's engine (container-spec.ts). Runner images of earlier versions lack it.
 */
export const RUNNER_FOLDERS_LABEL = `${LABEL_PREFIX}.runner-folders`;

/** The pool a container belongs to; containers of versions before pools carry the repo only. */
export function poolOfLabels(labels: Record<string, string | undefined>): string {
  return labels[LABELS.pool] ?? labels[LABELS.repo] ?? '';
}
