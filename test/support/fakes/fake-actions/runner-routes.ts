import { actionsError, type FakeRoutes } from './routes.ts';
import { adminCall, isResponse, type ServiceContext } from './service-context.ts';

/**
 * The service's runner (agent) calls a scale set client makes: lookup by name and removal.
 * After client.go GetRunnerByName / RemoveRunner (`_apis/distributedtask/pools/0/agents`) of
 * github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca, with errors.go's
 * exception names: a runner running a job is not removed (400 JobStillRunningException), an
 * unknown one is 404 AgentNotFoundException.
 */
export function addRunnerRoutes(routes: FakeRoutes, ctx: ServiceContext): void {
  const BASE = '/tenant/:tenant/_apis/distributedtask/pools/0/agents';
  const state = ctx.state;

  routes.add('GET', BASE, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const name = req.query.get('agentName');
    const value = [...state.runners.values()]
      .filter((r) => r.state !== 'gone' && r.scaleSet.tenant === tenant)
      .filter((r) => name === null || r.name === name)
      .map((r) => ({ id: r.id, name: r.name, runnerScaleSetId: r.scaleSet.id }));
    return { status: 200, body: { count: value.length, value } };
  });

  routes.add('DELETE', `${BASE}/:id`, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const runner = state.runners.get(Number(req.params.id));
    if (!runner || runner.state === 'gone' || runner.scaleSet.tenant !== tenant)
      return actionsError(404, 'AgentNotFoundException', `No agent found with id ${req.params.id}`);
    if (runner.state === 'busy')
      return actionsError(400, 'JobStillRunningException', `Agent ${runner.name} is running a job`);
    runner.state = 'gone';
    return { status: 204 };
  });
}
