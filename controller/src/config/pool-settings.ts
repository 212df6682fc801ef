import { z } from 'zod';
import { parseGitHubUrl } from './github-url.ts';
import { parseLabels } from './labels.ts';

export const DOCKER_MODES = ['dind', 'host', 'none', 'sysbox'] as const;
export type DockerMode = (typeof DOCKER_MODES)[number];

export const DEFAULT_RUNNER_IMAGE = 'ghcr.io/runner-autoscaler/runner:latest';

const count = (min: number) => z.coerce.number().int().min(min);
const labelList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => parseLabels(value))
  .refine((labels) => labels.length > 0, 'must name at least one label');
const githubUrl = z.string().refine((value) => parseGitHubUrl(value) !== undefined, {
  message: 'must be a repository or organization URL such as https://github.com/OWNER/REPO',
});
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/** The settings one pool of runners can take, shared by the environment and repos.json entries. */
export const PoolSettings = z.object({
  github_url: githubUrl,
  github_api_url: httpUrl.optional(),
  github_token: z.string().min(1).optional(),
  github_app_id: z.coerce.string().regex(/^\d+$/, 'must be a number').optional(),
  github_app_private_key_file: z.string().min(1).optional(),
  github_app_installation_id: z.coerce.string().regex(/^\d+$/, 'must be a number').optional(),
  webhook_secret: z.string().min(1).optional(),
  runner_labels: labelList.default(['self-hosted', 'linux']),
  runner_group: z.string().min(1).default('default'),
  runner_name_prefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'must be 1-40 letters, digits, ".", "_" or "-"')
    .default('runner'),
  runner_image: z.string().min(1).default(DEFAULT_RUNNER_IMAGE),
  runner_docker_mode: z.enum(DOCKER_MODES).default('dind'),
  max_runners: count(1).optional(),
  min_idle_runners: count(0).default(0),
});
export type PoolSettings = z.infer<typeof PoolSettings>;

/** Every key of PoolSettings, as a repos.json `defaults` block may hold them. */
export const PoolDefaults = PoolSettings.partial().omit({ github_url: true });
export type PoolDefaults = z.infer<typeof PoolDefaults>;
