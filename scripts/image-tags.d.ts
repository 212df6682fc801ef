// Types for scripts/image-tags.js (plain ESM so that workflows run it with bare `node`).
export declare const DOCKER_TAG: RegExp;

export interface TagContext {
  /** github.event_name */
  eventName: string;
  /** github.ref: refs/heads/…, refs/tags/… or refs/pull/N/merge */
  ref: string;
  /** the commit built (for a pull request, its head commit) */
  sha: string;
  /** required for pull_request */
  prNumber?: number | string;
  /** default 'main' */
  defaultBranch?: string;
  /** build time, default now */
  date?: Date | string;
  /** the actions/runner release in the runner image: adds runner-<version> on the default branch */
  runnerVersion?: string;
}

export declare function sanitizeRefName(name: string, max?: number): string;
export declare function branchTags(branch: string, shortSha: string): string[];
export declare function computeTags(ctx: TagContext): string[];
export declare function runnerTag(version: string): string;
export declare function versionTags(name: string): string[];
export declare function formatDate(date: Date | string): string;
export declare function normalizeImage(image: string): string;
export declare function imageRefs(ctx: TagContext & { image: string }): string[];
export declare function cli(argv: string[]): string[];
