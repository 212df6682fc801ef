#!/usr/bin/env node
// The image prefix the workflows push to: `<prefix>-controller`, `-runner` and `-nginx`, the
// IMAGE_PREFIX of docker-compose.autoscale.yml. The registry is a repository variable
// (IMAGE_REGISTRY), so a fork or a private deployment changes one setting and keeps the tags.
//
//   node scripts/image-prefix.js --registry ghcr|dockerhub|ecr --owner OWNER \
//     [--namespace DOCKERHUB_NAMESPACE] [--ecr-registry ACCOUNT.dkr.ecr.REGION.amazonaws.com]
//
//   ghcr       ghcr.io/<owner, lowercased>/runner-autoscaler   (the default, also for '')
//   dockerhub  docker.io/<namespace>/runner-autoscaler
//   ecr        <ecr registry>/runner-autoscaler                 (repositories runner-autoscaler-*)

import process from 'node:process';
import { pathToFileURL } from 'node:url';

export const IMAGE_BASENAME = 'runner-autoscaler';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const ECR_HOST = /^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/;

/**
 * @param {{ registry?: string, owner?: string, namespace?: string, ecrRegistry?: string }} options
 * @returns {string}
 */
export function imagePrefix(options) {
  const registry = options.registry || 'ghcr';
  const component = (/** @type {string} */ name, /** @type {string | undefined} */ value) => {
    const lower = String(value ?? '').toLowerCase();
    if (!COMPONENT.test(lower))
      throw new Error(`${name}: not usable in an image name: ${value ?? ''}`);
    return lower;
  };
  switch (registry) {
    case 'ghcr':
      return `ghcr.io/${component('owner', options.owner)}/${IMAGE_BASENAME}`;
    case 'dockerhub':
      return `docker.io/${component('namespace', options.namespace)}/${IMAGE_BASENAME}`;
    case 'ecr': {
      const host = String(options.ecrRegistry ?? '');
      if (!ECR_HOST.test(host)) throw new Error(`ecr-registry: not an ECR registry: ${host}`);
      return `${host}/${IMAGE_BASENAME}`;
    }
    default:
      throw new Error(`registry: one of ghcr, dockerhub, ecr, not ${registry}`);
  }
}

/**
 * @param {string[]} argv
 * @returns {string}
 */
export function cli(argv) {
  /** @type {Record<string, string>} */
  const opts = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i] ?? '';
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) throw new Error(`bad argument: ${key}`);
    if (!['registry', 'owner', 'namespace', 'ecr-registry'].includes(key.slice(2)))
      throw new Error(`unknown option ${key}`);
    opts[key.slice(2)] = value;
  }
  return imagePrefix({
    registry: opts.registry,
    owner: opts.owner,
    namespace: opts.namespace,
    ecrRegistry: opts['ecr-registry'],
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(`${cli(process.argv.slice(2))}\n`);
  } catch (err) {
    process.stderr.write(`image-prefix: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
