import type { FakeDelivery } from './state.ts';

/** A `hook-delivery-item` object. */
export function deliveryItemJson(delivery: FakeDelivery) {
  return {
    id: delivery.id,
    guid: delivery.guid,
    delivered_at: delivery.deliveredAt,
    redelivery: delivery.redelivery,
    duration: delivery.durationSeconds,
    status: delivery.status,
    status_code: delivery.statusCode,
    event: delivery.event,
    action: delivery.action,
    installation_id: null,
    repository_id: delivery.repositoryId,
    throttled_at: null,
  };
}

/** A `hook-delivery` object: the item plus request and response. */
export function deliveryJson(delivery: FakeDelivery) {
  return {
    ...deliveryItemJson(delivery),
    url: delivery.url,
    request: { headers: delivery.requestHeaders, payload: delivery.payload },
    response: { headers: {}, payload: delivery.responseBody },
  };
}
