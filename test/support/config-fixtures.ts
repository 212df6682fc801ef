import { scopeName, type GitHubScope } from '../../controller/src/config/github-url.ts';
import { loadConfig, type Config } from '../../controller/src/config/load-config.ts';

/** A configuration as the controller reads it from this environment; throws on any problem. */
export function testConfig(
  env: Record<string, string>,
  files: Record<string, string> = {},
): Config {
  const result = loadConfig({
    env,
    readFile: (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
      return content;
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

/** One repository or organization (id `p`) against an API (the fake's), with one pool. */
export function testRepo(
  scope: GitHubScope,
  apiUrl: string,
  token: string,
  entry: Record<string, unknown> = {},
) {
  const file = JSON.stringify({
    repositories: [
      {
        id: 'p',
        github_url: `https://github.com/${scopeName(scope)}`,
        github_api_url: apiUrl,
        github_token: token,
        ...entry,
      },
    ],
  });
  const repo = testConfig({ REPOS_CONFIG_FILE: '/repos.json' }, { '/repos.json': file }).repos[0];
  if (!repo) throw new Error('no repository configured');
  return repo;
}
