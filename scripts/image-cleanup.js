#!/usr/bin/env node
// Which versions of one GHCR container package to delete. Pure: it reads the package versions
// as GitHub's API lists them and prints the ids to delete; the cleanup workflow fetches and
// deletes (test/unit/image-cleanup.test.ts covers exactly what ships).
//
//   gh api --paginate /orgs/OWNER/packages/container/NAME/versions --jq '.[]' | jq -s . > versions.json
//   node scripts/image-cleanup.js --versions versions.json --children children.json \
//     [--days 14] [--keep 5] [--now ISO]
//
// prints the ids to delete, one per line, and a table of every version with its verdict on stderr.
//
// The rules (the tags are those of scripts/image-tags.js and runner-sync.yml):
// - Kept always: a version tagged with a release (1.2.3, 1.2, 1, 1.2.3-rc.1), a runner release
//   (runner-2.330.0) or `latest`, and the newest --keep images whatever their tags.
// - Deleted once older than --days: images with only transient tags (pr-N-sha, sha-…, branch
//   names and branch-sha, dates, main) and untagged versions.
// - A multi-platform image is an index whose platform manifests and build attestations are
//   untagged versions of their own: --children maps each index digest to the digests it lists
//   (`docker buildx imagetools inspect --raw`), and a child lives and dies with its indexes. The
//   workflow inspects every tagged version; a version it did not inspect counts as no index.
// - cosign's signatures and attestations (tags sha256-<digest>, .sig, .att, .sbom) live and die
//   with the digest they are attached to.

import { readFileSync } from 'node:fs';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const RELEASE =
  /^(?:v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?|v?\d+\.\d+|v?\d{1,4}|runner-\d+\.\d+\.\d+)$/;
const ATTACHED = /^sha256-([0-9a-f]{64})(?:\.(?:sig|att|sbom))?$/;
const DAY_MS = 86_400_000;

/**
 * @typedef {object} PackageVersion  one entry of GET /{orgs|users}/{owner}/packages/container/{name}/versions
 * @property {number} id
 * @property {string} name  the manifest digest, sha256:…
 * @property {string} created_at
 * @property {{ container?: { tags?: string[] } }} [metadata]
 */

/**
 * @typedef {object} Verdict
 * @property {number} id
 * @property {string} digest
 * @property {string[]} tags
 * @property {boolean} remove
 * @property {string} reason
 */

/**
 * @param {string} tag
 * @returns {boolean} whether the tag names a release or `latest`, which are never pruned
 */
export function isProtectedTag(tag) {
  return tag === 'latest' || RELEASE.test(tag);
}

/**
 * @param {PackageVersion[]} versions
 * @param {{ now: Date, days: number, keep: number, children?: Record<string, string[]> }} options
 * @returns {Verdict[]} one verdict per version, newest first
 */
export function selectVersions(versions, options) {
  const { now, days, keep } = options;
  const children = options.children ?? {};
  const cutoff = now.getTime() - days * DAY_MS;
  const sorted = [...versions].sort(
    (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id,
  );
  const tagsOf = (/** @type {PackageVersion} */ v) => v.metadata?.container?.tags ?? [];
  const old = (/** @type {PackageVersion} */ v) => Date.parse(v.created_at) < cutoff;
  const attachedTo = (/** @type {PackageVersion} */ v) => {
    const match = tagsOf(v)
      .map((tag) => ATTACHED.exec(tag))
      .find(Boolean);
    return match ? `sha256:${match[1]}` : undefined;
  };
  /** @type {Map<string, string[]>} child digest -> the indexes that list it */
  const parents = new Map();
  for (const [index, list] of Object.entries(children)) {
    for (const child of list) parents.set(child, [...(parents.get(child) ?? []), index]);
  }

  /** @type {Map<string, { remove: boolean, reason: string }>} */
  const decided = new Map();
  // Images first: what is neither a child of an index nor attached to another digest.
  let newest = 0;
  for (const v of sorted) {
    if (parents.has(v.name) || attachedTo(v)) continue;
    const tags = tagsOf(v);
    const isImage = tags.length > 0;
    let verdict;
    if (tags.some(isProtectedTag)) {
      verdict = { remove: false, reason: 'release or latest' };
    } else if (isImage && newest < keep) {
      verdict = { remove: false, reason: `among the newest ${keep}` };
    } else if (!old(v)) {
      verdict = { remove: false, reason: `younger than ${days} days` };
    } else {
      verdict = { remove: true, reason: isImage ? 'transient tags only' : 'untagged' };
    }
    if (isImage) newest += 1;
    decided.set(v.name, verdict);
  }
  const live = (/** @type {string} */ digest) => decided.get(digest)?.remove === false;
  // Then what depends on them: children (through any number of index levels) and signatures.
  const settle = (/** @type {PackageVersion} */ v, depth = 0) => {
    const known = decided.get(v.name);
    if (known) return known;
    const subject = attachedTo(v);
    const owners = subject ? [subject] : (parents.get(v.name) ?? []);
    if (depth < 8) {
      for (const owner of owners) {
        const parent = sorted.find((p) => p.name === owner);
        if (parent) settle(parent, depth + 1);
      }
    }
    const kept = owners.some(live);
    const verdict = kept
      ? { remove: false, reason: subject ? 'signs a kept version' : 'part of a kept image' }
      : old(v)
        ? { remove: true, reason: subject ? 'signs a removed version' : 'part of a removed image' }
        : { remove: false, reason: `younger than ${days} days` };
    decided.set(v.name, verdict);
    return verdict;
  };
  return sorted.map((v) => ({
    id: v.id,
    digest: v.name,
    tags: tagsOf(v),
    ...settle(v),
  }));
}

/**
 * @param {string} text  a JSON array of versions, or an array of such arrays (gh api --slurp)
 * @returns {PackageVersion[]}
 */
export function parseVersions(text) {
  /** @type {unknown} */
  const data = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error('versions: expected a JSON array');
  const flat = data.flat();
  for (const v of flat) {
    const ok =
      typeof v === 'object' &&
      v !== null &&
      Number.isInteger(v.id) &&
      typeof v.name === 'string' &&
      !Number.isNaN(Date.parse(v.created_at));
    if (!ok) throw new Error(`versions: not a package version: ${JSON.stringify(v).slice(0, 200)}`);
  }
  return /** @type {PackageVersion[]} */ (flat);
}

/**
 * @param {string[]} argv
 * @param {(path: string) => string} readFile
 * @returns {{ ids: string[], table: string }}
 */
export function cli(argv, readFile) {
  /** @type {Record<string, string>} */
  const opts = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i] ?? '';
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) throw new Error(`bad argument: ${key}`);
    if (!['versions', 'children', 'days', 'keep', 'now'].includes(key.slice(2)))
      throw new Error(`unknown option ${key}`);
    opts[key.slice(2)] = value;
  }
  if (!opts.versions) throw new Error('--versions is required');
  const number = (/** @type {string} */ name, /** @type {number} */ fallback) => {
    const value = opts[name] === undefined ? fallback : Number(opts[name]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name}: not a whole number`);
    return value;
  };
  const now = opts.now ? new Date(opts.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error('--now: not a date');
  const verdicts = selectVersions(parseVersions(readFile(opts.versions)), {
    now,
    days: number('days', 14),
    keep: number('keep', 5),
    children: opts.children ? JSON.parse(readFile(opts.children)) : {},
  });
  const table = verdicts
    .map(
      (v) =>
        `${v.remove ? 'delete' : 'keep  '} ${v.id} ${v.digest.slice(0, 19)} ${v.tags.join(',') || '(untagged)'}: ${v.reason}`,
    )
    .join('\n');
  return { ids: verdicts.filter((v) => v.remove).map((v) => String(v.id)), table };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { ids, table } = cli(process.argv.slice(2), (path) => readFileSync(path, 'utf8'));
    process.stderr.write(`${table}\n`);
    if (ids.length > 0) process.stdout.write(`${ids.join('\n')}\n`);
  } catch (err) {
    process.stderr.write(`image-cleanup: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
