import { z } from 'zod';
import { githubError, notFound } from './github-error.ts';
import type { ApiResponse, Router } from './router.ts';
import { SCOPE_PREFIXES } from './runner-routes.ts';
import { tokenFitsScope, type RunnerTokens } from './runner-tokens.ts';
import { scopeOf } from './scope-of.ts';
import { scopeMatches, type FakeState, type Scope } from './state.ts';

const RegisterBody = z.object({
  url: z.string(),
  runner_event: z.literal('register'),
  name: z.string().min(1),
  labels: z.array(z.string().min(1)).min(1),
  runner_group: z.string().min(1),
  ephemeral: z.boolean(),
  replace: z.boolean(),
});

const RemoveBody = z.object({
  url: z.string(),
  runner_event: z.literal('remove'),
  runner_id: z.number().int(),
});

/** The repository or organization a runner's `--url` names (`/owner/repo`, `/org`, `/orgs/org`). */
export function scopeOfUrl(state: FakeState, value: string): Scope | undefined {
  let parts: string[];
  try {
    parts = new URL(value).pathname.split('/').filter((part) => part.length > 0);
  } catch {
    return undefined;
  }
  if (parts[0] === 'orgs' && parts.length === 2) return scopeOf(state, { org: parts[1] ?? '' });
  if (parts.length === 1) return scopeOf(state, { org: parts[0] ?? '' });
  if (parts.length === 2) return scopeOf(state, { owner: parts[0] ?? '', repo: parts[1] ?? '' });
  return undefined;
}

/**
 * Registration-token runners: the documented REST routes that hand out registration and remove
 * tokens, and the stub route the runner stand-in's config.sh calls with them (in place of
 * GitHub's `POST /actions/runner-registration`, which is not part of the REST API).
 */
export function addRegistrationRoutes(
  router: Router,
  state: FakeState,
  tokens: RunnerTokens,
): void {
  for (const prefix of SCOPE_PREFIXES) {
    for (const kind of ['registration', 'remove'] as const) {
      router.add('POST', `${prefix}/actions/runners/${kind}-token`, (req) => {
        const scope = scopeOf(state, req.params);
        if (!scope) return notFound();
        const { token, expiresAt } = tokens.issue(kind, scope);
        return { status: 201, body: { token, expires_at: expiresAt } };
      });
    }
  }

  router.add(
    'POST',
    '/_stub/runner-registration',
    (req): ApiResponse => {
      const presented = /^RemoteAuth\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const event = (req.body as { runner_event?: unknown } | null)?.runner_event;
      if (event === 'register') return register(req.body, presented);
      if (event === 'remove') return remove(req.body, presented);
      return githubError(400, 'runner_event must be register or remove');
    },
    'stub',
  );

  // GitHub answers an unknown, expired or foreign token with 404 Not Found.
  const checkToken = (presented: string, kind: 'registration' | 'remove', url: string) => {
    const scope = scopeOfUrl(state, url);
    const token = tokens.valid(presented, kind);
    return scope && token && tokenFitsScope(token, scope) ? scope : undefined;
  };

  function register(input: unknown, presented: string): ApiResponse {
    const body = RegisterBody.safeParse(input);
    if (!body.success) return githubError(400, 'Invalid registration request.');
    const scope = checkToken(presented, 'registration', body.data.url);
    if (!scope) return notFound();
    const groupId = runnerGroupId(scope, body.data.runner_group);
    if (groupId === undefined) {
      return githubError(
        404,
        `Could not find any self-hosted runner group named "${body.data.runner_group}".`,
      );
    }
    const existing = [...state.runners.values()].find(
      (runner) => runner.name === body.data.name && scopeMatches(runner.scope, scope),
    );
    if (existing && !body.data.replace) {
      return githubError(409, 'A runner exists with the same name.');
    }
    if (existing) state.runners.delete(existing.id);
    const runner = {
      id: state.nextId('runner'),
      name: body.data.name,
      labels: [...body.data.labels],
      status: 'online' as const,
      busy: false,
      scope,
      runnerGroupId: groupId,
      jobId: undefined,
      ephemeral: body.data.ephemeral,
    };
    state.runners.set(runner.id, runner);
    state.deletedRunnerNames.delete(runner.name);
    return { status: 201, body: { id: runner.id, name: runner.name, labels: runner.labels } };
  }

  function remove(input: unknown, presented: string): ApiResponse {
    const body = RemoveBody.safeParse(input);
    if (!body.success) return githubError(400, 'Invalid removal request.');
    const scope = checkToken(presented, 'remove', body.data.url);
    if (!scope) return notFound();
    const runner = state.runners.get(body.data.runner_id);
    if (!runner || !scopeMatches(runner.scope, scope)) return notFound();
    if (runner.busy) {
      return githubError(422, `Bad request - Runner "${runner.name}" is still running a job.`);
    }
    state.runners.delete(runner.id);
    state.deletedRunnerNames.add(runner.name);
    return { status: 204 };
  }

  /** Repositories have only the Default group; organizations also those of addRunnerGroup. */
  function runnerGroupId(scope: Scope, name: string): number | undefined {
    if (name.toLowerCase() === 'default') return 1;
    if (scope.kind !== 'org') return undefined;
    const group = [...state.runnerGroups.values()].find(
      (candidate) =>
        candidate.org.id === scope.org.id && candidate.name.toLowerCase() === name.toLowerCase(),
    );
    return group?.id;
  }
}
