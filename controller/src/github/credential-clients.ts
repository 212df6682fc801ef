import { createHash } from 'node:crypto';
import { RequestError } from '@octokit/request-error';
import type { Logger } from 'pino';
import { scopeName, type GitHubScope } from '../config/github-url.ts';
import type { GitHubAuth, RepoConfig } from '../config/load-config.ts';
import { createOctokit, type Attempt, type GitHubClient } from './create-octokit.ts';
import { CredentialPace } from './credential-pace.ts';
import { GitHubRefusal } from './github-error.ts';

export type CredentialClientsDeps = {
  fetch: typeof fetch;
  log: Logger;
  now: () => number;
  /** Told of every HTTP attempt made with a credential (by its name). */
  onAttempt?: (credential: string) => (attempt: Attempt) => void;
};

/**
 * A credential's name, never its secret: a token by a short hash, an App installation by its ids
 * (an App has one installation per account, so the account names it until its id is known).
 */
export function credentialName(auth: GitHubAuth, scope: GitHubScope): string {
  if (auth.kind === 'token') {
    return `token-${createHash('sha256').update(auth.token).digest('hex').slice(0, 8)}`;
  }
  if (auth.installationId !== undefined) {
    return `app-${auth.appId}-installation-${auth.installationId}`;
  }
  const owner = scope.kind === 'org' ? scope.org : scope.owner;
  return `app-${auth.appId}-on-${owner.toLowerCase()}`;
}

/**
 * One GitHub client and one pace per credential, shared by every repository and organization
 * that uses it: GitHub counts its limits per credential, and a thousand repositories on one token
 * need one client, not a thousand.
 */
export class CredentialClients {
  readonly #deps: CredentialClientsDeps;
  readonly #clients = new Map<string, Promise<GitHubClient>>();
  readonly #paces = new Map<string, CredentialPace>();

  constructor(deps: CredentialClientsDeps) {
    this.#deps = deps;
  }

  /** The name of the credential a repository entry uses. */
  credentialOf(repo: RepoConfig): string {
    return credentialName(repo.auth, repo.target.scope);
  }

  /** The pace of a credential (by name), made on first use. */
  pace(name: string): CredentialPace {
    const known = this.#paces.get(name);
    if (known) return known;
    const made = new CredentialPace({ now: this.#deps.now });
    this.#paces.set(name, made);
    return made;
  }

  /** The paces made so far, by credential name. */
  paces(): ReadonlyMap<string, CredentialPace> {
    return this.#paces;
  }

  /** The repository's client, made on first use; a failed App installation lookup is retried. */
  clientFor(repo: RepoConfig): () => Promise<GitHubClient> {
    const name = this.credentialOf(repo);
    const key = `${repo.target.apiUrl} ${name}`;
    return () => {
      const known = this.#clients.get(key);
      if (known) return known;
      const made = this.#build(repo, name).catch((error: unknown) => {
        this.#clients.delete(key);
        throw error;
      });
      this.#clients.set(key, made);
      return made;
    };
  }

  #make(repo: RepoConfig, name: string, auth: GitHubAuth): GitHubClient {
    return createOctokit({
      apiUrl: repo.target.apiUrl,
      auth,
      fetch: this.#deps.fetch,
      log: this.#deps.log.child({ credential: name }),
      pace: this.pace(name),
      ...(this.#deps.onAttempt ? { onAttempt: this.#deps.onAttempt(name) } : {}),
    });
  }

  async #build(repo: RepoConfig, name: string): Promise<GitHubClient> {
    const auth = repo.auth;
    if (auth.kind !== 'app' || auth.installationId !== undefined) {
      return this.#make(repo, name, auth);
    }
    // The App itself (its JWT) looks up the installation on the repository or organization.
    const app = this.#make(repo, `app-${auth.appId}`, auth);
    const scope = repo.target.scope;
    try {
      const { data } =
        scope.kind === 'repo'
          ? await app.rest.apps.getRepoInstallation({ owner: scope.owner, repo: scope.repo })
          : await app.rest.apps.getOrgInstallation({ org: scope.org });
      const installationId = String(data.id);
      this.#deps.log.info({ repo: repo.id, installationId }, 'github app installation found');
      return this.#make(repo, name, { ...auth, installationId });
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) {
        throw new GitHubRefusal(
          `GitHub App ${auth.appId} is not installed on ${scopeName(scope)}`,
          error,
        );
      }
      throw error;
    }
  }
}
