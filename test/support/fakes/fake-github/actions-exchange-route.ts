import { githubError, notFound } from './github-error.ts';
import { scopeOfUrl } from './registration-routes.ts';
import type { ApiResponse, Router } from './router.ts';
import { tokenFitsScope, type RunnerTokens } from './runner-tokens.ts';
import type { FakeState } from './state.ts';

/**
 * GitHub's `POST {api}/actions/runner-registration` (not in the REST description: the runner
 * scale set protocol's exchange of a registration token for the Actions service's URL and an
 * admin token). The fake checks the registration token it handed out, then lets the fake
 * Actions service (test/support/fakes/fake-actions) answer: `service()` is its API base, once set.
 */
export function addActionsExchangeRoute(
  router: Router,
  state: FakeState,
  tokens: RunnerTokens,
  service: () => string | undefined,
): void {
  router.add(
    'POST',
    '/actions/runner-registration',
    async (req): Promise<ApiResponse> => {
      const target = service();
      if (!target) return notFound();
      const presented = /^RemoteAuth\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const url = (req.body as { url?: unknown } | null)?.url;
      if (typeof url !== 'string') return githubError(400, 'url is required');
      const scope = scopeOfUrl(state, url);
      const token = tokens.valid(presented, 'registration');
      if (!scope || !token || !tokenFitsScope(token, scope)) return notFound();
      const answer = await fetch(`${target}/actions/runner-registration`, {
        method: 'POST',
        headers: { authorization: `RemoteAuth ${presented}`, 'content-type': 'application/json' },
        body: JSON.stringify(req.body),
      });
      const text = await answer.text();
      return {
        status: answer.status,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
    },
    'stub',
  );
}
