import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleUserJson } from './fake-github/simple-user-json.ts';
import { createOpenApiValidator } from './openapi/openapi-validator.ts';

export const RUNNER_ARCHES = ['x64', 'arm64'] as const;
export type RunnerArch = (typeof RUNNER_ARCHES)[number];

/** What the latest release publishes for each asset: its digest, a wrong one, or none (null). */
export type DigestOverride = Partial<Record<RunnerArch, string | null>>;

export interface ReleaseUrls {
  /** Base for the Dockerfile's RUNNER_DOWNLOAD_URL. */
  downloadUrl: string;
  /** Base for the Dockerfile's RUNNER_RELEASES_API (`…/latest` is the latest release). */
  releasesApi: string;
}

export interface RunnerReleaseServer {
  /**
   * URLs under a path prefix of their own, so that no two builds have the same build arguments:
   * the builder would reuse the cached install step (also with RUNNER_VERSION=latest).
   */
  urls: () => ReleaseUrls;
  /** Serves `tarball` as both linux tarballs of `version`. */
  addTarball: (version: string, tarball: Buffer) => void;
  /** Makes `version` the latest release; its assets' digests are their sha256 unless overridden. */
  setLatest: (version: string, digests?: DigestOverride) => void;
  /** Every request, as `METHOD /path` (without the prefix of urls()). */
  readonly requests: readonly string[];
  /** Answers of the releases API that break GitHub's OpenAPI description (`release`). */
  readonly contractViolations: readonly string[];
  close: () => Promise<void>;
}

export const tarballName = (arch: RunnerArch, version: string) =>
  `actions-runner-linux-${arch}-${version}.tar.gz`;

export const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Stands in for github.com's release downloads and api.github.com's releases API of
 * actions/runner, which image builds cannot reach here. Listen on Docker's bridge address
 * (dockerBridgeGateway()) so that build containers reach it.
 */
export async function startRunnerReleaseServer(host: string): Promise<RunnerReleaseServer> {
  const tarballs = new Map<string, Buffer>();
  const requests: string[] = [];
  const contractViolations: string[] = [];
  let latest: { version: string; digests: DigestOverride } | undefined;
  let origin = '';
  let builds = 0;

  const releaseJson = (version: string, digests: DigestOverride) => {
    const api = `${origin}/repos/actions/runner`;
    const login = 'github-actions[bot]';
    const author = { ...simpleUserJson(origin, encodeURIComponent(login), 41898282, 'Bot'), login };
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const assets = RUNNER_ARCHES.map((arch, index) => {
      const name = tarballName(arch, version);
      const content = tarballs.get(`/download/v${version}/${name}`) ?? Buffer.alloc(0);
      const digest = arch in digests ? digests[arch] : `sha256:${sha256Of(content)}`;
      return {
        url: `${api}/releases/assets/${index + 1}`,
        browser_download_url: `${origin}/download/v${version}/${name}`,
        id: index + 1,
        node_id: `RA_${index + 1}`,
        name,
        label: '',
        state: 'uploaded',
        content_type: 'application/octet-stream',
        size: content.length,
        digest: digest ?? null,
        download_count: 0,
        created_at: now,
        updated_at: now,
        uploader: author,
      };
    });
    return {
      url: `${api}/releases/1`,
      html_url: `https://github.com/actions/runner/releases/tag/v${version}`,
      assets_url: `${api}/releases/1/assets`,
      upload_url: `https://uploads.github.com/repos/actions/runner/releases/1/assets{?name,label}`,
      tarball_url: `${api}/tarball/v${version}`,
      zipball_url: `${api}/zipball/v${version}`,
      id: 1,
      node_id: 'RE_1',
      tag_name: `v${version}`,
      target_commitish: 'main',
      name: `v${version}`,
      body: '',
      draft: false,
      prerelease: false,
      created_at: now,
      published_at: now,
      author,
      assets,
    };
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://release-server').pathname.replace(
      /^\/build-\d+(?=\/)/,
      '',
    );
    requests.push(`${req.method ?? 'GET'} ${path}`);
    const tarball = req.method === 'GET' ? tarballs.get(path) : undefined;
    if (tarball) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(tarball);
      return;
    }
    if (req.method === 'GET' && path === '/repos/actions/runner/releases/latest' && latest) {
      const body = releaseJson(latest.version, latest.digests);
      const template = '/repos/{owner}/{repo}/releases/latest';
      const errors = createOpenApiValidator().validate('GET', template, 200, body);
      contractViolations.push(...errors);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ message: 'Not Found', status: '404' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  origin = `http://${host}:${(server.address() as AddressInfo).port}`;

  return {
    urls() {
      builds += 1;
      return {
        downloadUrl: `${origin}/build-${builds}/download`,
        releasesApi: `${origin}/build-${builds}/repos/actions/runner/releases`,
      };
    },
    addTarball(version, tarball) {
      for (const arch of RUNNER_ARCHES) {
        tarballs.set(`/download/v${version}/${tarballName(arch, version)}`, tarball);
      }
    },
    setLatest(version, digests = {}) {
      latest = { version, digests };
    },
    requests,
    contractViolations,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
