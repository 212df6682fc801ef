import { scopePath } from './scope-path.ts';
import type { FakeHook } from './state.ts';

/** A `hook` (repository) or `org-hook` object; GitHub never echoes the secret. */
export function hookJson(apiUrl: string, hook: FakeHook) {
  const url = `${apiUrl}${scopePath(hook.scope)}/hooks/${hook.id}`;
  const config = {
    url: hook.config.url,
    content_type: hook.config.content_type,
    insecure_ssl: hook.config.insecure_ssl,
    ...(hook.config.secret === '' ? {} : { secret: '********' }),
  };
  const common = {
    type: hook.scope.kind === 'repo' ? 'Repository' : 'Organization',
    id: hook.id,
    name: 'web',
    active: hook.active,
    events: hook.events,
    config,
    updated_at: hook.updatedAt,
    created_at: hook.createdAt,
    url,
    ping_url: `${url}/pings`,
    deliveries_url: `${url}/deliveries`,
  };
  return hook.scope.kind === 'repo'
    ? { ...common, test_url: `${url}/test`, last_response: hook.lastResponse }
    : common;
}
