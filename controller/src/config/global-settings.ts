import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const DEFAULT_RUNNER_RELEASES_URL =
  'https://api.github.com/repos/actions/runner/releases/latest';

/** Controller-wide settings, read from the environment in both modes. */
export const GlobalSettings = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  DATA_DIR: z.string().min(1).default('/data'),
  MAX_RUNNERS: z.coerce.number().int().min(1).default(10),
  CONTROLLER_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'must be lowercase letters, digits, ".", "_" or "-"')
    .default('autoscaler'),
  RESYNC_INTERVAL_SECONDS: z.coerce.number().int().min(5).default(60),
  RESYNC_REQUESTS_PER_MINUTE: z.coerce.number().int().min(10).max(450).default(200),
  RUNNER_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(0).default(300),
  JOB_WAIT_WARN_SECONDS: z.coerce.number().int().min(1).default(300),
  WEBHOOK_HOST: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  WEBHOOK_INSECURE_SSL: flag.default(false),
  REPOS_CONFIG_FILE: z.string().min(1).optional(),
  WEBHOOK_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  DOCKER_ENGINES: z.string().min(1).optional(),
  RUNNER_RELEASES_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .default(DEFAULT_RUNNER_RELEASES_URL),
  RUNNER_PULL_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(6 * 3600),
  DOCKER_CONFIG: z.string().min(1).optional(),
  AUTOSCALER_VERSION: z.string().min(1).optional(),
  AUTOSCALER_REVISION: z.string().min(1).optional(),
});
export type GlobalSettings = z.infer<typeof GlobalSettings>;

/** Variables that are not the controller's but sit in the same .env (docker-compose's). */
export const NEIGHBOUR_VARIABLES = [
  'DOCKER_GID',
  'DOCKER_SOCKET',
  'DOCKER_HOST',
  'WEBHOOK_DOMAIN',
  'NGINX_CERTS_DIR',
  'ACME_WEBROOT',
  'IMAGE_PREFIX',
  'IMAGE_TAG',
  'CONTROLLER_IMAGE',
  'NGINX_IMAGE',
  'CONFIG_DIR',
  'COMPOSE_FILE',
  'COMPOSE_PROJECT_NAME',
  'COMPOSE_PROFILES',
] as const;
