import { z } from 'zod';
import { githubError, notFound } from './github-error.ts';
import { hookJson } from './hook-json.ts';
import { paginate } from './paginate.ts';
import type { ApiRequest, Router } from './router.ts';
import { SCOPE_PREFIXES } from './runner-routes.ts';
import { scopeOf } from './scope-of.ts';
import { scopeMatches, type FakeHook, type FakeState, type HookConfig } from './state.ts';
import type { WebhookSender } from './webhook-sender.ts';

const Config = z.object({
  url: z.string().url(),
  content_type: z.enum(['json', 'form']).optional(),
  secret: z.string().optional(),
  insecure_ssl: z.union([z.string(), z.number()]).optional(),
});
const CreateBody = z.object({
  name: z.literal('web').optional(),
  config: Config,
  events: z.array(z.string()).optional(),
  active: z.boolean().optional(),
});
const UpdateBody = z.object({
  config: Config.optional(),
  events: z.array(z.string()).optional(),
  add_events: z.array(z.string()).optional(),
  remove_events: z.array(z.string()).optional(),
  active: z.boolean().optional(),
});

const isoNow = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function toConfig(config: z.infer<typeof Config>): HookConfig {
  return {
    url: config.url,
    content_type: config.content_type ?? 'form',
    secret: config.secret ?? '',
    insecure_ssl: String(config.insecure_ssl ?? '0'),
  };
}

/** Finds the hook `:hook_id` within the route's repository or organization. */
export function hookOf(state: FakeState, req: ApiRequest): FakeHook | undefined {
  const scope = scopeOf(state, req.params);
  const hook = state.hooks.get(Number(req.params.hook_id));
  return scope && hook && scopeMatches(hook.scope, scope) ? hook : undefined;
}

/** Repository and organization webhooks: list, create (sends `ping`), get, update, delete. */
export function addHookRoutes(
  router: Router,
  state: FakeState,
  sender: WebhookSender,
  baseUrl: () => string,
): void {
  for (const prefix of SCOPE_PREFIXES) {
    router.add('GET', `${prefix}/hooks`, (req) => {
      const scope = scopeOf(state, req.params);
      if (!scope) return notFound();
      const hooks = [...state.hooks.values()].filter((hook) => scopeMatches(hook.scope, scope));
      const { page, headers } = paginate(hooks, req, baseUrl());
      return { status: 200, body: page.map((hook) => hookJson(baseUrl(), hook)), headers };
    });

    router.add('POST', `${prefix}/hooks`, (req) => {
      const scope = scopeOf(state, req.params);
      if (!scope) return notFound();
      const body = CreateBody.safeParse(req.body);
      if (!body.success) return githubError(422, 'Validation Failed');
      const now = isoNow();
      const hook: FakeHook = {
        id: state.nextId('hook'),
        scope,
        config: toConfig(body.data.config),
        events: body.data.events ?? ['push'],
        active: body.data.active ?? true,
        origin: 'api',
        createdAt: now,
        updatedAt: now,
        lastResponse: { code: null, status: 'unused', message: null },
      };
      state.hooks.set(hook.id, hook);
      const where =
        scope.kind === 'repo' ? { repository: { id: scope.repo.id } } : { organization: scope.org };
      const ping = {
        zen: 'Keep it logically awesome.',
        hook_id: hook.id,
        hook: hookJson(baseUrl(), hook),
        ...where,
      };
      void sender.send(hook, 'ping', ping);
      return { status: 201, body: hookJson(baseUrl(), hook) };
    });

    router.add('GET', `${prefix}/hooks/:hook_id`, (req) => {
      const hook = hookOf(state, req);
      return hook ? { status: 200, body: hookJson(baseUrl(), hook) } : notFound();
    });

    router.add('PATCH', `${prefix}/hooks/:hook_id`, (req) => {
      const hook = hookOf(state, req);
      if (!hook) return notFound();
      const body = UpdateBody.safeParse(req.body);
      if (!body.success) return githubError(422, 'Validation Failed');
      const { config, events, add_events = [], remove_events = [], active } = body.data;
      // As on GitHub, a new config replaces the old one: omitting `secret` removes it.
      if (config) hook.config = toConfig(config);
      const next = new Set([...(events ?? hook.events), ...add_events]);
      for (const event of remove_events) next.delete(event);
      hook.events = [...next];
      if (active !== undefined) hook.active = active;
      hook.origin = 'api';
      hook.updatedAt = isoNow();
      return { status: 200, body: hookJson(baseUrl(), hook) };
    });

    router.add('DELETE', `${prefix}/hooks/:hook_id`, (req) => {
      const hook = hookOf(state, req);
      if (!hook) return notFound();
      state.hooks.delete(hook.id);
      return { status: 204 };
    });
  }
}
