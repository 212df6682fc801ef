import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** Controller-wide settings, read from the environment in both modes. */
export const GlobalSettings = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DATA_DIR: z.string().min(1).default('/data'),
  MAX_RUNNERS: z.coerce.number().int().min(1).default(10),
  CONTROLLER_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'must be lowercase letters, digits, ".", "_" or "-"')
    .default('autoscaler'),
  RESYNC_INTERVAL_SECONDS: z.coerce.number().int().min(5).default(60),
  RUNNER_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(0).default(300),
  WEBHOOK_HOST: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  REPOS_CONFIG_FILE: z.string().min(1).optional(),
  RUNNER_NETWORK: z.string().min(1).optional(),
  DIND_IMAGE: z.string().min(1).default('docker:dind'),
  DIND_PRIVILEGED: flag.default(true),
  WEBHOOK_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
});
export type GlobalSettings = z.infer<typeof GlobalSettings>;
