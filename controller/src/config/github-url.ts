export type GitHubScope =
  { kind: 'repo'; owner: string; repo: string } | { kind: 'org'; org: string };

export type GitHubTarget = { scope: GitHubScope; apiUrl: string; host: string };

/** Reads a repository or organization URL; undefined when it is neither. */
export function parseGitHubUrl(value: string): GitHubTarget | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const parts = url.pathname.split('/').filter((part) => part.length > 0);
  const host = url.host.toLowerCase();
  const apiUrl = host === 'github.com' ? 'https://api.github.com' : `${url.origin}/api/v3`;
  const [first, second, ...rest] = parts;
  if (first === undefined || rest.length > 0 || first === 'enterprises') return undefined;
  if (first === 'orgs' && second !== undefined) {
    return { scope: { kind: 'org', org: second }, apiUrl, host };
  }
  const scope: GitHubScope =
    second === undefined
      ? { kind: 'org', org: first }
      : { kind: 'repo', owner: first, repo: second.replace(/\.git$/, '') };
  return { scope, apiUrl, host };
}

export function scopeName(scope: GitHubScope): string {
  return scope.kind === 'repo' ? `${scope.owner}/${scope.repo}` : scope.org;
}

/** The placeholders of .env.example and the README, which would otherwise read as a repository. */
const PLACEHOLDERS = new Set(['OWNER/REPO', 'ORG']);

/** Why a value is no repository or organization URL; undefined when it is one. */
export function githubUrlProblem(value: string): string | undefined {
  const target = parseGitHubUrl(value);
  if (target && PLACEHOLDERS.has(scopeName(target.scope)))
    return "is the example's placeholder: set your repository's (or organization's) URL";
  if (target) return undefined;
  if (/^https?:\/\/[^/]+\/enterprises\//.test(value))
    return 'an enterprise is not served: use an organization (https://github.com/ORG) or repository URL';
  return 'must be a repository or organization URL such as https://github.com/OWNER/REPO';
}
