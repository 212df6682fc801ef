import { notFound } from './github-error.ts';
import { paginate } from './paginate.ts';
import type { Router } from './router.ts';
import { simpleUserJson } from './simple-user-json.ts';
import type { FakeRelease, FakeState } from './state.ts';

/** Who publishes the fake's releases. */
const RELEASER = 'TingluoHuang';

/** A `release` as GitHub's OpenAPI description has it (the fields GitHub always sends). */
export function releaseJson(apiUrl: string, release: FakeRelease) {
  const url = `${apiUrl}/repos/${release.repo}/releases/${release.id}`;
  const web = `https://github.com/${release.repo}`;
  return {
    url,
    html_url: `${web}/releases/tag/${release.tagName}`,
    assets_url: `${url}/assets`,
    upload_url: `https://uploads.github.com/repos/${release.repo}/releases/${release.id}/assets{?name,label}`,
    tarball_url: `${apiUrl}/repos/${release.repo}/tarball/${release.tagName}`,
    zipball_url: `${apiUrl}/repos/${release.repo}/zipball/${release.tagName}`,
    id: release.id,
    node_id: Buffer.from(`RE_${release.id}`).toString('base64'),
    tag_name: release.tagName,
    target_commitish: 'main',
    name: release.name,
    body: `Release ${release.tagName}`,
    draft: false,
    prerelease: release.prerelease,
    created_at: release.createdAt,
    published_at: release.publishedAt,
    author: simpleUserJson(apiUrl, RELEASER, 1750815, 'User'),
    assets: release.assets.map((asset) => ({
      url: `${apiUrl}/repos/${release.repo}/releases/assets/${asset.id}`,
      browser_download_url: `${web}/releases/download/${release.tagName}/${asset.name}`,
      id: asset.id,
      node_id: Buffer.from(`RA_${asset.id}`).toString('base64'),
      name: asset.name,
      label: '',
      state: 'uploaded',
      content_type: 'application/octet-stream',
      size: asset.size,
      digest: asset.digest,
      download_count: 0,
      created_at: release.createdAt,
      updated_at: release.createdAt,
      uploader: simpleUserJson(apiUrl, RELEASER, 1750815, 'User'),
    })),
  };
}

/**
 * Releases of public repositories, readable without a token: the latest (the newest
 * non-prerelease by publication) and the list, newest first.
 */
export function addReleaseRoutes(router: Router, state: FakeState, baseUrl: () => string): void {
  const releasesOf = (owner = '', repo = '') =>
    state.releases
      .filter((release) => release.repo === `${owner}/${repo}`.toLowerCase())
      .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt) || b.id - a.id);

  router.add(
    'GET',
    '/repos/:owner/:repo/releases/latest',
    (req) => {
      const latest = releasesOf(req.params.owner, req.params.repo).find((r) => !r.prerelease);
      return latest ? { status: 200, body: releaseJson(baseUrl(), latest) } : notFound();
    },
    'public',
  );

  router.add(
    'GET',
    '/repos/:owner/:repo/releases',
    (req) => {
      const releases = releasesOf(req.params.owner, req.params.repo);
      if (releases.length === 0) return notFound();
      const { page, headers } = paginate(releases, req, baseUrl());
      return { status: 200, body: page.map((r) => releaseJson(baseUrl(), r)), headers };
    },
    'public',
  );
}
