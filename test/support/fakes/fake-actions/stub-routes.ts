import type { JobFlow } from './job-flow.ts';
import type { FakeRoutes } from './routes.ts';
import type { FakeActionsState } from './state.ts';

/**
 * The runner stub's protocol (test/support/README.md, "Runner stub protocol"), for runners
 * registered through generatejitconfig: `POST .../acquire` → 200 with the job's duration in
 * seconds, 204 while the scale set has no assigned job, 410 once the runner is gone, 404 when
 * never registered; `POST .../complete[?conclusion=failure]` ends the job.
 */
export function addStubRoutes(routes: FakeRoutes, state: FakeActionsState, flow: JobFlow) {
  const runnerOf = (scaleSetId: string | undefined, name: string | undefined) =>
    [...state.runners.values()]
      .filter((r) => String(r.scaleSet.id) === scaleSetId && r.name === name)
      .at(-1);

  routes.add('POST', '/_stub/scalesets/:id/runners/:name/acquire', (req) => {
    const runner = runnerOf(req.params.id, req.params.name);
    if (!runner) return { status: 404, text: 'unknown runner' };
    const job = flow.take(runner);
    if (job === 'gone') return { status: 410, text: 'runner deregistered' };
    if (!job) return { status: 204 };
    return { status: 200, text: String(job.durationMs / 1000) };
  });

  routes.add('POST', '/_stub/scalesets/:id/runners/:name/complete', (req) => {
    const runner = runnerOf(req.params.id, req.params.name);
    if (!runner) return { status: 404, text: 'unknown runner' };
    const conclusion = req.query.get('conclusion') === 'failure' ? 'failure' : 'success';
    if (!flow.finish(runner, conclusion)) return { status: 409, text: 'no job running' };
    return { status: 200, text: 'ok' };
  });
}
