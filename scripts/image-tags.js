#!/usr/bin/env node
// Image tags for one build, one per line, from the GitHub Actions event context. Pure: no
// dependencies, no network, no clock unless --date is left out. The publish workflow uses it, and
// test/unit/image-tags.test.ts covers exactly what ships.
//
//   node scripts/image-tags.js --image ghcr.io/OWNER/runner-autoscaler-controller \
//     --event push --ref refs/heads/main --sha "$SHA" --default-branch main [--date ISO] [--pr N]
//
// prints full references (`image:tag`), the immutable one first (`sha-<short>`, or
// `pr-<N>-<short>` for a pull request), so a workflow can push that one, scan it and only then
// add the rest. `--tags-only` prints bare tags.
//
//   event             tags
//   push/dispatch/    sha-<short>, <branch>, <branch>-<short>; on the default branch also
//   schedule, branch  `latest`, the UTC build date YYYYMMDD and, with --runner-version (the
//                     runner image), runner-<actions/runner version>
//   push, tag v1.2.3  sha-<short>, 1.2.3, 1.2, 1 (a pre-release gets only its full version, and
//                     0.x gets no bare major); never `latest`
//   push, other tag   sha-<short>, <sanitized tag>
//   pull_request      pr-<N>-<short> only
//
// Branch and tag names are sanitized for Docker's tag grammar by the rules of the "build once,
// test many" plan: lowercase; every character other than a-z, 0-9, `.` and `-` (so `/`, `_`, `#`)
// becomes `-`; runs of `-` or `.` collapse to one; leading and trailing `-`/`.` are trimmed; at
// most 128 characters (120 when `-<short sha>` is appended, so that tag also stays within 128).
// A branch name that would read as one of the other tag kinds (`latest`, `sha-…`, `pr-…`, a
// version, a date or runner-<version>) is prefixed with `branch-`, so no branch can move `latest`
// or fake a release.

import process from 'node:process';
import { pathToFileURL } from 'node:url';

/** Docker's tag grammar. */
export const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const MAX_TAG = 128;
const SHORT_SHA = 7;
const IMAGE_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_NAME = new RegExp(
  `^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?/)?${IMAGE_COMPONENT}(?:/${IMAGE_COMPONENT})*$`,
);
const SEMVER =
  /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;
const RESERVED = /^(?:latest$|sha-|pr-[0-9]|runner-[0-9]|v?[0-9]+(?:\.[0-9]+)*(?:-|$))/;
const RUNNER_VERSION = /^[0-9]+\.[0-9]+\.[0-9]+$/;

/**
 * A ref name (branch or tag) as a Docker tag, or '' when nothing usable is left.
 * @param {string} name
 * @param {number} [max]
 * @returns {string}
 */
export function sanitizeRefName(name, max = MAX_TAG) {
  const trim = (/** @type {string} */ s) => s.replace(/^[-.]+/, '').replace(/[-.]+$/, '');
  const cleaned = trim(
    name
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/\.{2,}/g, '.'),
  );
  return trim(cleaned.slice(0, max));
}

/**
 * The moving and the immutable tag of a branch: `<branch>` and `<branch>-<short sha>`.
 * @param {string} branch
 * @param {string} shortSha
 * @returns {string[]}
 */
export function branchTags(branch, shortSha) {
  let base = sanitizeRefName(branch);
  if (base === '') return [];
  if (RESERVED.test(base)) base = sanitizeRefName(`branch-${base}`);
  const suffix = `-${shortSha}`;
  return [base, `${sanitizeRefName(base, MAX_TAG - suffix.length)}${suffix}`];
}

/**
 * @typedef {object} TagContext
 * @property {string} eventName  github.event_name
 * @property {string} ref        github.ref (refs/heads/…, refs/tags/…, refs/pull/N/merge)
 * @property {string} sha        the commit built (for a pull request, its head commit)
 * @property {number | string} [prNumber]  required for pull_request
 * @property {string} [defaultBranch]  default 'main'
 * @property {Date | string} [date]  build time, default now
 * @property {string} [runnerVersion]  the actions/runner release in the runner image
 */

/**
 * Tags for one build, the immutable one first.
 * @param {TagContext} ctx
 * @returns {string[]}
 */
export function computeTags(ctx) {
  const sha = String(ctx.sha ?? '').toLowerCase();
  if (!/^[0-9a-f]{7,64}$/.test(sha)) throw new Error(`sha: not a commit hash: ${ctx.sha}`);
  const short = sha.slice(0, SHORT_SHA);
  const ref = String(ctx.ref ?? '');
  const defaultBranch = ctx.defaultBranch ?? 'main';
  const tags = [];

  switch (ctx.eventName) {
    case 'pull_request':
    case 'pull_request_target': {
      const pr = String(ctx.prNumber ?? '');
      if (!/^[1-9][0-9]*$/.test(pr)) throw new Error(`prNumber: not a pull request number: ${pr}`);
      tags.push(`pr-${pr}-${short}`);
      break;
    }
    case 'push':
    case 'workflow_dispatch':
    case 'schedule': {
      tags.push(`sha-${short}`);
      if (ref.startsWith('refs/heads/')) {
        const branch = ref.slice('refs/heads/'.length);
        tags.push(...branchTags(branch, short));
        if (branch === defaultBranch) {
          tags.push('latest', formatDate(ctx.date ?? new Date()));
          if (ctx.runnerVersion !== undefined) tags.push(runnerTag(ctx.runnerVersion));
        }
      } else if (ref.startsWith('refs/tags/')) {
        tags.push(...versionTags(ref.slice('refs/tags/'.length)));
      } else {
        throw new Error(`ref: neither a branch nor a tag: ${ref}`);
      }
      break;
    }
    default:
      throw new Error(`eventName: no tags for event ${ctx.eventName}`);
  }

  const unique = [...new Set(tags)];
  for (const tag of unique) {
    if (!DOCKER_TAG.test(tag)) throw new Error(`produced an invalid Docker tag: ${tag}`);
  }
  return unique;
}

/**
 * The runner image's tag for an actions/runner release, as runner-sync.yml also pushes it.
 * @param {string} version  e.g. 2.330.0 (a leading v is dropped)
 * @returns {string} runner-2.330.0
 */
export function runnerTag(version) {
  const bare = String(version).replace(/^v/, '');
  if (!RUNNER_VERSION.test(bare))
    throw new Error(`runnerVersion: not a runner release: ${version}`);
  return `runner-${bare}`;
}

/**
 * `v1.2.3` → 1.2.3, 1.2, 1; `v1.2.3-rc.1` → 1.2.3-rc.1; `v0.4.1` → 0.4.1, 0.4; any other tag
 * name → its sanitized form.
 * @param {string} name
 * @returns {string[]}
 */
export function versionTags(name) {
  const m = SEMVER.exec(name);
  if (!m) {
    const tag = sanitizeRefName(name);
    return tag === '' ? [] : [tag];
  }
  const [, major, minor, patch, pre, build] = m;
  const full = [`${major}.${minor}.${patch}`, pre && `-${pre}`, build && `-${build}`]
    .filter(Boolean)
    .join('');
  if (pre || build) return [full];
  return major === '0' ? [full, `0.${minor}`] : [full, `${major}.${minor}`, `${major}`];
}

/**
 * @param {Date | string} date
 * @returns {string} YYYYMMDD in UTC
 */
export function formatDate(date) {
  const d = date instanceof Date ? date : new Date(date);
  if (Number.isNaN(d.getTime())) throw new Error(`date: not a date: ${String(date)}`);
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}

/**
 * The image name GHCR accepts: lowercase (github.repository_owner may have capitals).
 * @param {string} image
 * @returns {string}
 */
export function normalizeImage(image) {
  const lower = image.toLowerCase();
  if (!IMAGE_NAME.test(lower)) throw new Error(`image: not an image name: ${image}`);
  return lower;
}

/**
 * Full references, `image:tag`, the immutable one first.
 * @param {TagContext & { image: string }} ctx
 * @returns {string[]}
 */
export function imageRefs(ctx) {
  const image = normalizeImage(ctx.image);
  return computeTags(ctx).map((tag) => `${image}:${tag}`);
}

/**
 * @param {string[]} argv
 * @returns {string[]} the lines the CLI prints
 */
export function cli(argv) {
  /** @type {Record<string, string>} */
  const opts = {};
  let tagsOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--tags-only') {
      tagsOnly = true;
      continue;
    }
    const value = argv[i + 1];
    if (!arg.startsWith('--') || value === undefined) throw new Error(`bad argument: ${arg}`);
    opts[arg.slice(2)] = value;
    i++;
  }
  for (const key of Object.keys(opts)) {
    if (
      !['image', 'event', 'ref', 'sha', 'pr', 'default-branch', 'date', 'runner-version'].includes(
        key,
      )
    ) {
      throw new Error(`unknown option --${key}`);
    }
  }
  /** @type {TagContext & { image: string }} */
  const ctx = {
    image: opts.image ?? '',
    eventName: opts.event ?? '',
    ref: opts.ref ?? '',
    sha: opts.sha ?? '',
  };
  if (opts.pr) ctx.prNumber = opts.pr;
  if (opts['default-branch']) ctx.defaultBranch = opts['default-branch'];
  if (opts.date) ctx.date = opts.date;
  if (opts['runner-version']) ctx.runnerVersion = opts['runner-version'];
  if (tagsOnly) return computeTags(ctx);
  return imageRefs(ctx);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(`${cli(process.argv.slice(2)).join('\n')}\n`);
  } catch (err) {
    process.stderr.write(`image-tags: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
