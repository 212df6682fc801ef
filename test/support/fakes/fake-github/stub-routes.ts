import type { JobFlow } from './job-flow.ts';
import type { Router } from './router.ts';
import type { FakeState } from './state.ts';

/** The runner stub's protocol (not GitHub's; no auth): see test/support/README.md. */
export function addStubRoutes(router: Router, flow: JobFlow, state: FakeState): void {
  // A job's own account of what it saw (timings, checks), for the test to read.
  router.add(
    'POST',
    '/_stub/runners/:name/report',
    (req) => {
      const name = req.params.name ?? '';
      const runner = [...state.runners.values()].find((r) => r.name === name);
      if (!runner) return { status: 404 };
      state.reports.push({
        runnerName: name,
        jobId: runner.jobId ?? null,
        text: req.rawBody,
        at: Date.now(),
      });
      return { status: 200, text: 'ok' };
    },
    'stub',
  );
  router.add(
    'POST',
    '/_stub/runners/:name/acquire',
    (req) => {
      // ?wait=SECONDS: a long poll (at most a minute).
      const wait = Math.min(Number(req.query.get('wait') ?? 0) || 0, 60);
      const name = req.params.name ?? '';
      return wait > 0 ? flow.acquireWaiting(name, wait * 1_000) : flow.acquire(name);
    },
    'stub',
  );
  router.add('GET', '/_stub/runners/:name/job', (req) => flow.jobOf(req.params.name ?? ''), 'stub');
  router.add(
    'POST',
    '/_stub/runners/:name/complete',
    (req) =>
      flow.complete(
        req.params.name ?? '',
        req.query.get('conclusion') === 'failure' ? 'failure' : 'success',
      ),
    'stub',
  );
}
