import { RequestError } from '@octokit/request-error';
import type { GitHubScope } from '../config/github-url.ts';
import type { GitHubClient } from './create-octokit.ts';
import { scopeRoute } from './scope-route.ts';

export type Hook = {
  id: number;
  active: boolean;
  events: string[];
  config: { url?: string; content_type?: string; insecure_ssl?: string | number };
};

export type HookDelivery = {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status_code: number;
  event: string;
};

export type DesiredHook = { url: string; secret: string; insecureSsl: boolean };

const hookBody = (desired: DesiredHook) => ({
  active: true,
  events: ['workflow_job'],
  config: {
    url: desired.url,
    content_type: 'json',
    insecure_ssl: desired.insecureSsl ? '1' : '0',
    secret: desired.secret,
  },
});

/** The webhook endpoints of a repository or organization. */
export function createHookApi(octokit: GitHubClient, scope: GitHubScope) {
  const { prefix, params } = scopeRoute(scope);
  return {
    async find(id: number): Promise<Hook | undefined> {
      try {
        const response = await octokit.request(`GET ${prefix}/hooks/{hook_id}`, {
          ...params,
          hook_id: id,
        });
        return response.data as Hook;
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return undefined;
        throw error;
      }
    },
    async findByUrl(url: string): Promise<Hook | undefined> {
      const hooks = await octokit.paginate<Hook>(`GET ${prefix}/hooks`, {
        ...params,
        per_page: 100,
      });
      return hooks.find((hook) => hook.config.url === url);
    },
    async create(desired: DesiredHook): Promise<Hook> {
      const body = { ...hookBody(desired), name: 'web' };
      const response = await octokit.request(`POST ${prefix}/hooks`, { ...params, ...body });
      return response.data as Hook;
    },
    async update(id: number, desired: DesiredHook): Promise<Hook> {
      const response = await octokit.request(`PATCH ${prefix}/hooks/{hook_id}`, {
        ...params,
        hook_id: id,
        ...hookBody(desired),
      });
      return response.data as Hook;
    },
    /** Deliveries newer than `afterId`, newest first, at most `pages` pages of 100. */
    async deliveriesAfter(hookId: number, afterId: number, pages: number): Promise<HookDelivery[]> {
      const out: HookDelivery[] = [];
      const iterator = octokit.paginate.iterator(`GET ${prefix}/hooks/{hook_id}/deliveries`, {
        ...params,
        hook_id: hookId,
        per_page: 100,
      });
      let read = 0;
      for await (const page of iterator) {
        const deliveries = page.data as HookDelivery[];
        out.push(...deliveries.filter((delivery) => delivery.id > afterId));
        read += 1;
        if (read >= pages || deliveries.some((delivery) => delivery.id <= afterId)) break;
      }
      return out;
    },
    async redeliver(hookId: number, deliveryId: number): Promise<void> {
      await octokit.request(`POST ${prefix}/hooks/{hook_id}/deliveries/{delivery_id}/attempts`, {
        ...params,
        hook_id: hookId,
        delivery_id: deliveryId,
      });
    },
  };
}

export type HookApi = ReturnType<typeof createHookApi>;
