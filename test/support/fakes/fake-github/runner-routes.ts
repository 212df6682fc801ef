import { z } from 'zod';
import { githubError, notFound } from './github-error.ts';
import { paginate } from './paginate.ts';
import { runnerJson } from './runner-json.ts';
import type { Router } from './router.ts';
import { scopeOf } from './scope-of.ts';
import { scopeMatches, type FakeState } from './state.ts';

const JitConfigBody = z.object({
  name: z.string().min(1),
  runner_group_id: z.number().int(),
  labels: z.array(z.string()).min(1).max(100),
  work_folder: z.string().optional(),
});

export const SCOPE_PREFIXES = ['/repos/:owner/:repo', '/orgs/:org'] as const;

/** Self-hosted runners: JIT registration, list, get, delete. */
export function addRunnerRoutes(
  router: Router,
  state: FakeState,
  baseUrl: () => string,
  /** Where the runner stub reaches the fake (the origin, also in GHES mode). */
  stubBase: () => string = baseUrl,
): void {
  for (const prefix of SCOPE_PREFIXES) {
    router.add('POST', `${prefix}/actions/runners/generate-jitconfig`, (req) => {
      const scope = scopeOf(state, req.params);
      if (!scope) return notFound();
      const body = JitConfigBody.safeParse(req.body);
      if (!body.success) return githubError(422, 'Invalid request.');
      // An organization's group must be its own (404 otherwise); repository runners have no
      // groups of their own, so the fake records the id it is given without checking it.
      const groupId = body.data.runner_group_id;
      const group = state.runnerGroups.get(groupId);
      const groupExists = scope.kind === 'repo' || groupId === 1 || group?.org.id === scope.org.id;
      if (!groupExists) return githubError(404, 'Not Found');
      const taken = [...state.runners.values()].some(
        (runner) => runner.name === body.data.name && scopeMatches(runner.scope, scope),
      );
      if (taken) return githubError(409, 'Already exists - A runner with the same name exists.');
      const runner = {
        id: state.nextId('runner'),
        name: body.data.name,
        labels: [...body.data.labels],
        status: 'offline' as const,
        busy: false,
        scope,
        runnerGroupId: body.data.runner_group_id,
        jobId: undefined,
      };
      state.runners.set(runner.id, runner);
      state.deletedRunnerNames.delete(runner.name);
      const stubUrl = `${stubBase()}/_stub/runners/${encodeURIComponent(runner.name)}`;
      return {
        status: 201,
        body: {
          runner: runnerJson(runner),
          encoded_jit_config: Buffer.from(stubUrl).toString('base64'),
        },
      };
    });

    const inScope = (params: Record<string, string>) => {
      const scope = scopeOf(state, params);
      if (!scope) return undefined;
      return [...state.runners.values()].filter((runner) => scopeMatches(runner.scope, scope));
    };

    router.add('GET', `${prefix}/actions/runners`, (req) => {
      const runners = inScope(req.params);
      if (!runners) return notFound();
      const named = req.query.get('name');
      const matching = named === null ? runners : runners.filter((r) => r.name === named);
      const { page, headers } = paginate(matching, req, baseUrl());
      return {
        status: 200,
        body: { total_count: matching.length, runners: page.map(runnerJson) },
        headers,
      };
    });

    router.add('GET', `${prefix}/actions/runners/:runner_id`, (req) => {
      const runner = inScope(req.params)?.find((r) => String(r.id) === req.params.runner_id);
      return runner ? { status: 200, body: runnerJson(runner) } : notFound();
    });

    router.add('DELETE', `${prefix}/actions/runners/:runner_id`, (req) => {
      const runner = inScope(req.params)?.find((r) => String(r.id) === req.params.runner_id);
      if (!runner) return notFound();
      if (runner.busy) {
        return githubError(422, `Bad request - Runner "${runner.name}" is still running a job.`);
      }
      state.runners.delete(runner.id);
      state.deletedRunnerNames.add(runner.name);
      return { status: 204 };
    });
  }
}
