export const LABEL_PREFIX = 'io.runner-autoscaler';

export const LABELS = {
  controller: `${LABEL_PREFIX}.controller`,
  pool: `${LABEL_PREFIX}.repo`,
  runnerName: `${LABEL_PREFIX}.runner-name`,
  role: `${LABEL_PREFIX}.role`,
  jobId: `${LABEL_PREFIX}.job-id`,
  engine: `${LABEL_PREFIX}.engine`,
} as const;
