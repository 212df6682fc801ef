import { simpleUserJson } from './simple-user-json.ts';
import type { FakeRepo } from './state.ts';

const templatedUrls = {
  archive_url: '{archive_format}{/ref}',
  assignees_url: 'assignees{/user}',
  blobs_url: 'git/blobs{/sha}',
  branches_url: 'branches{/branch}',
  collaborators_url: 'collaborators{/collaborator}',
  comments_url: 'comments{/number}',
  commits_url: 'commits{/sha}',
  compare_url: 'compare/{base}...{head}',
  contents_url: 'contents/{+path}',
  contributors_url: 'contributors',
  deployments_url: 'deployments',
  downloads_url: 'downloads',
  events_url: 'events',
  forks_url: 'forks',
  git_commits_url: 'git/commits{/sha}',
  git_refs_url: 'git/refs{/sha}',
  git_tags_url: 'git/tags{/sha}',
  hooks_url: 'hooks',
  issue_comment_url: 'issues/comments{/number}',
  issue_events_url: 'issues/events{/number}',
  issues_url: 'issues{/number}',
  keys_url: 'keys{/key_id}',
  labels_url: 'labels{/name}',
  languages_url: 'languages',
  merges_url: 'merges',
  milestones_url: 'milestones{/number}',
  notifications_url: 'notifications{?since,all,participating}',
  pulls_url: 'pulls{/number}',
  releases_url: 'releases{/id}',
  stargazers_url: 'stargazers',
  statuses_url: 'statuses/{sha}',
  subscribers_url: 'subscribers',
  subscription_url: 'subscription',
  tags_url: 'tags',
  teams_url: 'teams',
  trees_url: 'git/trees{/sha}',
} as const;

/** A `minimal-repository` object (what workflow runs embed). */
export function repositoryJson(apiUrl: string, repo: FakeRepo) {
  const fullName = `${repo.owner}/${repo.name}`;
  const url = `${apiUrl}/repos/${fullName}`;
  const urls = Object.fromEntries(
    Object.entries(templatedUrls).map(([key, suffix]) => [key, `${url}/${suffix}`]),
  );
  const ownerId = repo.org?.id ?? repo.id + 1_000_000;
  return {
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: fullName,
    owner: simpleUserJson(apiUrl, repo.owner, ownerId, repo.org ? 'Organization' : 'User'),
    private: true,
    html_url: `https://github.com/${fullName}`,
    description: null,
    fork: false,
    url,
    ...urls,
  };
}

/** A `full-repository` object, what `GET /repos/{owner}/{repo}` answers (a private, quiet one). */
export function fullRepositoryJson(apiUrl: string, repo: FakeRepo) {
  const minimal = repositoryJson(apiUrl, repo);
  const host = new URL(minimal.html_url).host;
  const at = '2024-01-01T00:00:00Z';
  return {
    ...minimal,
    clone_url: `${minimal.html_url}.git`,
    git_url: `git://${host}/${minimal.full_name}.git`,
    ssh_url: `git@${host}:${minimal.full_name}.git`,
    svn_url: minimal.html_url,
    mirror_url: null,
    homepage: null,
    language: null,
    default_branch: 'main',
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    open_issues: 0,
    open_issues_count: 0,
    network_count: 0,
    subscribers_count: 0,
    size: 0,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: at,
    created_at: at,
    updated_at: at,
  };
}
