import type { Logger } from 'pino';
import type { RepoConfig } from '../config/config-types.ts';
import type { RepoGitHub } from '../github/repo-github.ts';
import { createActionsClient, type ActionsClient } from './actions-client.ts';

export type ActionsClientsDeps = {
  repos: readonly RepoConfig[];
  /** The entry's GitHub client: its registration tokens open the Actions service. */
  github: (repoId: string) => RepoGitHub;
  fetch: typeof fetch;
  log: Logger;
};

/** One Actions client per entry, made on first use and shared by the entry's scale sets. */
export function actionsClients(deps: ActionsClientsDeps): (repoId: string) => ActionsClient {
  const made = new Map<string, ActionsClient>();
  return (repoId) => {
    const known = made.get(repoId);
    if (known) return known;
    const repo = deps.repos.find((r) => r.id === repoId);
    if (!repo) throw new Error(`no repository ${repoId}`);
    const github = deps.github(repoId);
    const client = createActionsClient({
      apiUrl: repo.target.apiUrl,
      configUrl: repo.githubUrl.replace(/\/+$/, ''),
      registrationToken: () => github.registrationToken(),
      fetch: deps.fetch,
      log: deps.log.child({ repo: repoId }),
    });
    made.set(repoId, client);
    return client;
  };
}
