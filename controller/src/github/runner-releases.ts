import type { Logger } from 'pino';
import { z } from 'zod';

/** One actions/runner release: its version (the tag without `v`) and when it was published. */
export type RunnerRelease = { version: string; publishedAt: number };

/** What the controller knows of actions/runner's releases. */
export type ReleaseFeed = {
  latest: RunnerRelease | undefined;
  /** Published releases, newest first, to date the one that followed a pool's version. */
  releases: RunnerRelease[];
  checkedAt: number | undefined;
  error: string | undefined;
};

export type RunnerReleasesDeps = {
  /** The latest release (GET /repos/actions/runner/releases/latest, or a mirror of it). */
  url: string;
  fetch: typeof fetch;
  log: Logger;
  now: () => number;
  /** How often to look again; a failed look is tried again within the hour. */
  intervalMs?: number;
  userAgent?: string;
};

const DAY_MS = 24 * 3600_000;
const RETRY_MS = 3600_000;
const TIMEOUT_MS = 30_000;
/** Thirty releases are a year or more of actions/runner: older ones no longer matter. */
const LIST_PAGE = 30;

export const ReleaseJson = z.object({
  tag_name: z.string(),
  published_at: z.string().nullable(),
  draft: z.boolean(),
  prerelease: z.boolean(),
});
export type ReleaseJson = z.infer<typeof ReleaseJson>;

/**
 * Reads actions/runner's latest release once a day, and the list before it, without a
 * credential (a public repository) and by conditional requests: an unchanged answer is a 304,
 * which GitHub does not count against the rate limit. A failed look keeps what was known.
 */
export class RunnerReleases {
  readonly #deps: RunnerReleasesDeps;
  readonly #etags = new Map<string, { etag: string; body: unknown }>();
  #feed: ReleaseFeed = { latest: undefined, releases: [], checkedAt: undefined, error: undefined };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  /** Ends a request under way at shutdown: nothing here is worth waiting for. */
  readonly #abort = new AbortController();

  constructor(deps: RunnerReleasesDeps) {
    this.#deps = deps;
  }

  feed(): ReleaseFeed {
    return this.#feed;
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort.abort(new Error('shutting down'));
    await this.#running;
  }

  /** One look: the latest release, then the list it heads (when the URL is GitHub's). */
  async check(): Promise<void> {
    const { url, now } = this.#deps;
    const latest = toRelease(ReleaseJson.parse(await this.#get(url)));
    // `…/releases/latest` → `…/releases`: a mirror at another address serves the latest only.
    const listUrl = /\/releases\/latest\/?$/.test(url)
      ? `${url.replace(/\/latest\/?$/, '')}?per_page=${LIST_PAGE}`
      : undefined;
    const listed = listUrl ? z.array(ReleaseJson).parse(await this.#get(listUrl)) : [];
    const releases = [latest, ...listed.map(toRelease)]
      .filter((release): release is RunnerRelease => release !== undefined)
      .filter((release, i, all) => all.findIndex((r) => r.version === release.version) === i)
      .sort((a, b) => compareVersions(b.version, a.version));
    if (latest && latest.version !== this.#feed.latest?.version)
      this.#deps.log.info(
        { version: latest.version, publishedAt: new Date(latest.publishedAt).toISOString() },
        'actions/runner latest release',
      );
    this.#feed = { latest, releases, checkedAt: now(), error: undefined };
  }

  async #get(url: string): Promise<unknown> {
    const cached = this.#etags.get(url);
    const response = await this.#deps.fetch(url, {
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': this.#deps.userAgent ?? 'runner-autoscaler',
        ...(cached ? { 'if-none-match': cached.etag } : {}),
      },
      signal: AbortSignal.any([AbortSignal.timeout(TIMEOUT_MS), this.#abort.signal]),
    });
    if (response.status === 304 && cached) return cached.body;
    if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${response.statusText}`);
    const body: unknown = await response.json();
    const etag = response.headers.get('etag');
    if (etag) this.#etags.set(url, { etag, body });
    return body;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      let next = this.#deps.intervalMs ?? DAY_MS;
      this.#running = this.check()
        .catch((error: unknown) => {
          if (this.#stopped) return;
          const message = error instanceof Error ? error.message : String(error);
          if (message !== this.#feed.error)
            this.#deps.log.warn({ err: error, url: this.#deps.url }, 'runner release check failed');
          this.#feed = { ...this.#feed, error: message };
          next = Math.min(next, RETRY_MS);
        })
        .finally(() => {
          this.#running = undefined;
          this.#schedule(next);
        });
    }, delayMs);
    this.#timer.unref();
  }
}

/** A published, final release with a version tag; drafts and pre-releases are not followed. */
function toRelease(json: ReleaseJson): RunnerRelease | undefined {
  const version = parseVersion(json.tag_name);
  if (!version || json.draft || json.prerelease || json.published_at === null) return undefined;
  const publishedAt = Date.parse(json.published_at);
  return Number.isNaN(publishedAt) ? undefined : { version, publishedAt };
}

/** `v2.338.0` or `2.338.0` → `2.338.0`; anything else undefined. */
export function parseVersion(tag: string): string | undefined {
  return /^v?(\d+\.\d+\.\d+)$/.exec(tag.trim())?.[1];
}

/** Numeric comparison of `major.minor.patch`: negative when a is older. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i += 1) {
    const diff = (x?.[i] ?? 0) - (y?.[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
