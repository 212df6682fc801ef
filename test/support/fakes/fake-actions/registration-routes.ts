import type { FakeRoutes } from './routes.ts';
import type { ServiceContext } from './service-context.ts';
import { configKey } from './state.ts';

const githubError = (status: number, message: string) => ({
  status,
  body: { message, documentation_url: 'https://docs.github.com/rest' },
});

/**
 * `POST {api}/actions/runner-registration` on the GitHub API host: a registration token
 * (`Authorization: RemoteAuth <token>`) and `{url, runner_event: "register"}` for the tenant's
 * service URL and an admin JWT. From client.go getActionsServiceAdminConnection (reference at
 * 6ce025902cd964747a078c2aabe7340ebc667eca) and internal/testserver/server.go, which answers
 * 201 with `{url: <origin>/tenant/123/, token}`.
 */
export function addRegistrationRoutes(routes: FakeRoutes, ctx: ServiceContext, prefix: string) {
  routes.add('POST', `${prefix}/actions/runner-registration`, (req) => {
    const token = /^RemoteAuth (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const body = req.body as { url?: unknown; runner_event?: unknown } | null;
    if (typeof body?.url !== 'string' || body.runner_event !== 'register') {
      ctx.violation(req, 'body is not {url, runner_event: "register"}');
      return githubError(400, 'Bad request');
    }
    const tenant = ctx.state.tenants.get(configKey(body.url));
    if (!tenant) return githubError(404, 'Not Found');
    const issued = token === undefined ? undefined : ctx.state.registrationTokens.get(token);
    const accepted =
      token !== undefined &&
      ((issued !== undefined && issued.expiresAt > Date.now()) ||
        (ctx.settings.acceptRegistrationToken?.(token, body.url) ?? false));
    if (!accepted) return githubError(401, 'Bad credentials');
    if (issued && configKey(issued.configUrl) !== configKey(body.url))
      return githubError(403, 'Resource not accessible by integration');
    ctx.state.exchanges += 1;
    const admin = ctx.jwt.issue(tenant.id);
    return {
      status: 201,
      body: { url: `${ctx.origin()}/tenant/${tenant.id}/`, token: admin.token },
    };
  });
}
