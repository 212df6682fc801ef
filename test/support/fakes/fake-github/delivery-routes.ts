import { deliveryItemJson, deliveryJson } from './delivery-json.ts';
import { githubError, notFound } from './github-error.ts';
import { hookOf } from './hook-routes.ts';
import type { ApiRequest, Router } from './router.ts';
import { SCOPE_PREFIXES } from './runner-routes.ts';
import type { FakeDelivery, FakeState } from './state.ts';
import type { WebhookSender } from './webhook-sender.ts';

function statusFilter(status: string | null): (delivery: FakeDelivery) => boolean {
  if (status === 'success') return (d) => d.statusCode >= 200 && d.statusCode < 400;
  if (status === 'failure') return (d) => d.statusCode >= 400 && d.statusCode < 600;
  return () => true;
}

/** Newest first, cursor pagination (`cursor=v1_<id>`, Link rel="next"), as GitHub does. */
function listDeliveries(state: FakeState, req: ApiRequest, hookId: number, baseUrl: string) {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30));
  const cursor = /^v1_(\d+)$/.exec(req.query.get('cursor') ?? '')?.[1];
  const all = state.deliveries
    .filter((d) => d.hookId === hookId && (cursor === undefined || d.id < Number(cursor)))
    .filter(statusFilter(req.query.get('status')))
    .sort((a, b) => b.id - a.id);
  const page = all.slice(0, perPage);
  const headers: Record<string, string> = {};
  const last = page.at(-1);
  if (all.length > perPage && last) {
    const query = new URLSearchParams(req.query);
    query.set('per_page', String(perPage));
    query.set('cursor', `v1_${last.id}`);
    headers.link = `<${baseUrl}${req.path}?${query.toString()}>; rel="next"`;
  }
  return { status: 200, body: page.map(deliveryItemJson), headers };
}

/** Webhook deliveries of a hook: list, get, redeliver (same guid, `redelivery: true`). */
export function addDeliveryRoutes(
  router: Router,
  state: FakeState,
  sender: WebhookSender,
  baseUrl: () => string,
): void {
  const deliveryOf = (req: ApiRequest) => {
    const hook = hookOf(state, req);
    const id = Number(req.params.delivery_id);
    const delivery = state.deliveries.find((d) => d.id === id && d.hookId === hook?.id);
    return hook && delivery ? { hook, delivery } : undefined;
  };

  for (const prefix of SCOPE_PREFIXES) {
    const base = `${prefix}/hooks/:hook_id/deliveries`;
    router.add('GET', base, (req) => {
      const hook = hookOf(state, req);
      return hook ? listDeliveries(state, req, hook.id, baseUrl()) : notFound();
    });

    router.add('GET', `${base}/:delivery_id`, (req) => {
      const found = deliveryOf(req);
      return found ? { status: 200, body: deliveryJson(found.delivery) } : notFound();
    });

    router.add('POST', `${base}/:delivery_id/attempts`, (req) => {
      const found = deliveryOf(req);
      if (!found) return githubError(404, 'Not Found');
      const { hook, delivery } = found;
      void sender.send(hook, delivery.event, delivery.payload, {
        guid: delivery.guid,
        redelivery: true,
      });
      return { status: 202, body: {} };
    });
  }
}
