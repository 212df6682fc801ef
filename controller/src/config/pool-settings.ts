import { z } from 'zod';
import {
  amount,
  count,
  digits,
  flag,
  githubUrl,
  httpUrl,
  keyValues,
  labels,
  matching,
  oneOf,
  size,
  text,
  type FieldKind,
  type FieldValues,
} from './field-kinds.ts';

export const DOCKER_MODES = ['dind', 'host', 'none'] as const;
export type DockerMode = (typeof DOCKER_MODES)[number];
export const PULL_POLICIES = ['auto', 'missing', 'always'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];
export const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const JOB_SOURCES = ['webhook', 'scaleset'] as const;

export const DEFAULT_RUNNER_IMAGE = 'ghcr.io/runner-autoscaler/runner-autoscaler-runner:latest';
/**
 * Pinned: a floating `docker:dind` changes the engine under every job without notice. 29.9.0 is
 * a current Docker Hub tag (Docker 28 is end of life: docker-library dropped it in November 2025).
 */
export const DEFAULT_DIND_IMAGE = 'docker:29.9.0-dind';

/** An OCI runtime as dockerd names it (`runc`, `sysbox-runc`, `runsc`, `io.containerd.runc.v2`). */
const runtimeName = matching(
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/,
  'must be a runtime name as the engine knows it (runc, sysbox-runc, runsc, ...)',
);

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ID_MESSAGE = 'must be 1-63 letters, digits, ".", "_" or "-"';

/** Settings of a repository or organization entry: where it is and how to authenticate. */
export const REPO_FIELDS = {
  github_url: githubUrl,
  github_api_url: httpUrl,
  github_token: text,
  github_token_file: text,
  github_app_id: digits,
  github_app_private_key_file: text,
  github_app_installation_id: digits,
  webhook_secret: text,
  webhook_secret_file: text,
} satisfies Record<string, FieldKind>;

/** Settings of one pool of runners; an entry's values are the defaults of its pools. */
export const POOL_FIELDS = {
  runner_labels: labels,
  runner_group: text,
  runner_name_prefix: matching(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/,
    'must be 1-40 letters, digits, ".", "_" or "-"',
  ),
  runner_image: text,
  runner_pull_policy: oneOf(PULL_POLICIES),
  platform: oneOf(PLATFORMS),
  max_runners: count(1),
  min_idle_runners: count(0),
  runner_docker_mode: oneOf(DOCKER_MODES),
  job_source: oneOf(JOB_SOURCES),
  scale_set_name: matching(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
    'must be letters, digits, ".", "_" or "-"',
  ),
  engine_labels: keyValues,
  runner_network: text,
  runner_cpus: amount,
  runner_memory: size,
  runner_pids_limit: count(1),
  runner_shm_size: size,
  runner_stop_timeout_seconds: count(0),
  runner_container_labels: keyValues,
  runner_runtime: runtimeName,
  dind_image: text,
  dind_privileged: flag,
  dind_runtime: runtimeName,
  dind_cpus: amount,
  dind_memory: size,
  dind_pids_limit: count(1),
  dind_registry_mirror: httpUrl,
  dind_cache_volumes: count(0),
  dind_cache_max_size: size,
} satisfies Record<string, FieldKind>;

/** A setting's environment variable: its key in capitals, but where that would be too vague. */
export function envName(key: string): string {
  return key === 'platform' ? 'RUNNER_PLATFORM' : key.toUpperCase();
}

/** Parsed values of an entry's and its pools' settings (labels as arrays, sizes in bytes, ...). */
export type SettingValues = FieldValues<typeof REPO_FIELDS & typeof POOL_FIELDS>;

export const REPO_ID = z.string().regex(ID, ID_MESSAGE);
