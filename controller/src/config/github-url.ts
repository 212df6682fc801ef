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
  if (first === undefined || rest.length > 0) return undefined;
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
