import { actionsError, type FakeRoutes } from './routes.ts';
import { adminCall, isResponse, scaleSetOf, type ServiceContext } from './service-context.ts';
import type { FakeScaleSet, FakeScaleSetRunner } from './state.ts';

const BASE = '/tenant/:tenant/_apis/runtime';

/**
 * Runner groups, scale sets and JIT configs of the Actions service, after client.go
 * (GetRunnerGroupByName, GetRunnerScaleSet, CreateRunnerScaleSet, DeleteRunnerScaleSet,
 * GenerateJitRunnerConfig) of github.com/actions/scaleset at
 * 6ce025902cd964747a078c2aabe7340ebc667eca: lists are `{count, value}`, creation answers 200,
 * deletion 204.
 */
export function addScaleSetRoutes(
  routes: FakeRoutes,
  ctx: ServiceContext,
  onDelete: (scaleSet: FakeScaleSet) => void,
) {
  const { state } = ctx;
  const json = (scaleSet: FakeScaleSet) => ({
    id: scaleSet.id,
    name: scaleSet.name,
    runnerGroupId: scaleSet.runnerGroupId,
    runnerGroupName: scaleSet.tenant.runnerGroups.find((g) => g.id === scaleSet.runnerGroupId)
      ?.name,
    labels: scaleSet.labels,
    RunnerSetting: { disableUpdate: scaleSet.disableUpdate },
    createdOn: scaleSet.createdOn,
    runnerJitConfigUrl: `${ctx.origin()}/tenant/${scaleSet.tenant.id}/_apis/runtime/runnerscalesets/${scaleSet.id}/generatejitconfig`,
    statistics: ctx.flow.statistics(scaleSet),
  });

  routes.add('GET', `${BASE}/runnergroups`, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const name = req.query.get('groupName')?.toLowerCase();
    const value = tenant.runnerGroups
      .filter((group) => name === undefined || group.name.toLowerCase() === name)
      .map((group) => ({ ...group, size: 0 }));
    return { status: 200, body: { count: value.length, value } };
  });

  routes.add('GET', `${BASE}/runnerscalesets`, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const name = req.query.get('name');
    const group = req.query.get('runnerGroupId');
    const value = [...state.scaleSets.values()]
      .filter((s) => !s.deleted && s.tenant === tenant)
      .filter((s) => name === null || s.name === name)
      .filter((s) => group === null || String(s.runnerGroupId) === group)
      .map(json);
    return { status: 200, body: { count: value.length, value } };
  });

  routes.add('GET', `${BASE}/runnerscalesets/:id`, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const scaleSet = scaleSetOf(ctx, tenant, req);
    return isResponse(scaleSet) ? scaleSet : { status: 200, body: json(scaleSet) };
  });

  routes.add('POST', `${BASE}/runnerscalesets`, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const body = req.body as {
      name?: unknown;
      runnerGroupId?: unknown;
      labels?: { name?: unknown; type?: unknown }[];
      RunnerSetting?: { disableUpdate?: unknown };
    } | null;
    if (typeof body?.name !== 'string' || body.name === '' || !Array.isArray(body.labels)) {
      ctx.violation(req, 'scale set body lacks a name or labels');
      return actionsError(400, 'ArgumentException', 'name and labels are required');
    }
    const runnerGroupId = typeof body.runnerGroupId === 'number' ? body.runnerGroupId : 1;
    if (!tenant.runnerGroups.some((group) => group.id === runnerGroupId))
      return actionsError(404, 'TaskAgentPoolNotFoundException', 'Runner group not found');
    const taken = [...state.scaleSets.values()].some(
      (s) => !s.deleted && s.tenant === tenant && s.name === body.name,
    );
    if (taken)
      return actionsError(409, 'RunnerScaleSetExistsException', `${body.name} already exists`);
    const scaleSet: FakeScaleSet = {
      id: state.nextId('scaleSet'),
      tenant,
      name: body.name,
      runnerGroupId,
      labels: body.labels.map((label) => ({
        name: String(label.name),
        type: typeof label.type === 'string' ? label.type : 'System',
      })),
      disableUpdate: body.RunnerSetting?.disableUpdate === true,
      createdOn: new Date().toISOString(),
      deleted: false,
      capacity: 0,
      pending: [],
      messages: [],
      waiters: new Set(),
    };
    state.scaleSets.set(scaleSet.id, scaleSet);
    ctx.flow.adopt(scaleSet);
    return { status: 200, body: json(scaleSet) };
  });

  routes.add('DELETE', `${BASE}/runnerscalesets/:id`, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const scaleSet = scaleSetOf(ctx, tenant, req);
    if (isResponse(scaleSet)) return scaleSet;
    onDelete(scaleSet);
    return { status: 204 };
  });

  routes.add('POST', `${BASE}/runnerscalesets/:id/generatejitconfig`, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const scaleSet = scaleSetOf(ctx, tenant, req);
    if (isResponse(scaleSet)) return scaleSet;
    const body = req.body as { name?: unknown; workFolder?: unknown } | null;
    if (typeof body?.name !== 'string' || body.name === '') {
      ctx.violation(req, 'generatejitconfig body lacks a name');
      return actionsError(400, 'ArgumentException', 'name is required');
    }
    const name = body.name;
    const taken = [...state.runners.values()].some(
      (r) => r.state !== 'gone' && r.scaleSet.tenant === tenant && r.name === name,
    );
    if (taken) return actionsError(409, 'AgentExistsException', `Runner ${name} already exists`);
    const runner: FakeScaleSetRunner = {
      id: state.nextId('runner'),
      name,
      scaleSet,
      state: 'idle',
      job: undefined,
    };
    state.runners.set(runner.id, runner);
    // The runner stub's protocol (test/support/README.md): base64 of its base URL on this fake.
    const stubUrl = `${ctx.origin()}/_stub/scalesets/${scaleSet.id}/runners/${encodeURIComponent(name)}`;
    return {
      status: 200,
      body: {
        runner: { id: runner.id, name, runnerScaleSetId: scaleSet.id },
        encodedJITConfig: Buffer.from(stubUrl).toString('base64'),
      },
    };
  });
}
