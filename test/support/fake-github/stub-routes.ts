import type { JobFlow } from './job-flow.ts';
import type { Router } from './router.ts';

/** The runner stub's protocol (not GitHub's; no auth): see test/support/README.md. */
export function addStubRoutes(router: Router, flow: JobFlow): void {
  router.add(
    'POST',
    '/_stub/runners/:name/acquire',
    (req) => flow.acquire(req.params.name ?? ''),
    'stub',
  );
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
