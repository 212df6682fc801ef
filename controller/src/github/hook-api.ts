import { RequestError } from '@octokit/request-error';
import type { GitHubScope } from '../config/github-url.ts';
import type { GitHubClient } from './create-octokit.ts';

export type Hook = {
  id: number;
  active: boolean;
  events: string[];
  config: {
    url?: string | undefined;
    content_type?: string | undefined;
    insecure_ssl?: string | number | undefined;
  };
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
  const { repos, orgs } = octokit.rest;
  const listAll = () =>
    scope.kind === 'repo'
      ? octokit.paginate(repos.listWebhooks, {
          owner: scope.owner,
          repo: scope.repo,
          per_page: 100,
        })
      : octokit.paginate(orgs.listWebhooks, { org: scope.org, per_page: 100 });
  return {
    find: async (id: number): Promise<Hook | undefined> => {
      try {
        const { data } =
          scope.kind === 'repo'
            ? await repos.getWebhook({ owner: scope.owner, repo: scope.repo, hook_id: id })
            : await orgs.getWebhook({ org: scope.org, hook_id: id });
        return hookOf(data);
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return undefined;
        throw error;
      }
    },
    /** Every hook of the repository or organization. */
    list: async (): Promise<Hook[]> => (await listAll()).map(hookOf),
    findByUrl: async (url: string): Promise<Hook | undefined> => {
      const found = (await listAll()).find((hook) => hook.config.url === url);
      return found && hookOf(found);
    },
    /** The hook's newest delivery, if it has one. */
    lastDelivery: async (hookId: number): Promise<HookDelivery | undefined> => {
      const { data } =
        scope.kind === 'repo'
          ? await repos.listWebhookDeliveries({
              owner: scope.owner,
              repo: scope.repo,
              hook_id: hookId,
              per_page: 1,
            })
          : await orgs.listWebhookDeliveries({ org: scope.org, hook_id: hookId, per_page: 1 });
      const [last] = data;
      return last && deliveryOf(last);
    },
    create: async (desired: DesiredHook): Promise<Hook> => {
      const body = { ...hookBody(desired), name: 'web' };
      const { data } =
        scope.kind === 'repo'
          ? await repos.createWebhook({ owner: scope.owner, repo: scope.repo, ...body })
          : await orgs.createWebhook({ org: scope.org, ...body });
      return hookOf(data);
    },
    update: async (id: number, desired: DesiredHook): Promise<Hook> => {
      const body = { hook_id: id, ...hookBody(desired) };
      const { data } =
        scope.kind === 'repo'
          ? await repos.updateWebhook({ owner: scope.owner, repo: scope.repo, ...body })
          : await orgs.updateWebhook({ org: scope.org, ...body });
      return hookOf(data);
    },
    /** Deliveries newer than `afterId`, newest first, at most `pages` pages of 100. */
    deliveriesAfter: async (
      hookId: number,
      afterId: number,
      pages: number,
    ): Promise<HookDelivery[]> => {
      const out: HookDelivery[] = [];
      const iterator =
        scope.kind === 'repo'
          ? octokit.paginate.iterator(repos.listWebhookDeliveries, {
              owner: scope.owner,
              repo: scope.repo,
              hook_id: hookId,
              per_page: 100,
            })
          : octokit.paginate.iterator(orgs.listWebhookDeliveries, {
              org: scope.org,
              hook_id: hookId,
              per_page: 100,
            });
      let read = 0;
      for await (const page of iterator) {
        const deliveries = page.data.map(deliveryOf);
        out.push(...deliveries.filter((delivery) => delivery.id > afterId));
        read += 1;
        if (read >= pages || deliveries.some((delivery) => delivery.id <= afterId)) break;
      }
      return out;
    },
    redeliver: async (hookId: number, deliveryId: number): Promise<void> => {
      const ids = { hook_id: hookId, delivery_id: deliveryId };
      if (scope.kind === 'repo')
        await repos.redeliverWebhookDelivery({ owner: scope.owner, repo: scope.repo, ...ids });
      else await orgs.redeliverWebhookDelivery({ org: scope.org, ...ids });
    },
  };
}

export type HookApi = ReturnType<typeof createHookApi>;

function hookOf(hook: Hook): Hook {
  const { url, content_type, insecure_ssl } = hook.config;
  return {
    id: hook.id,
    active: hook.active,
    events: hook.events,
    config: { url, content_type, insecure_ssl },
  };
}

function deliveryOf(delivery: HookDelivery): HookDelivery {
  const { id, guid, delivered_at, redelivery, status_code, event } = delivery;
  return { id, guid, delivered_at, redelivery, status_code, event };
}
