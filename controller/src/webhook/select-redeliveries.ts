import type { HookDelivery } from '../github/hook-api.ts';

export type RedeliveryPlan = { redeliver: HookDelivery[]; cursor: number };

/** A failure worth another try: unreachable, timed out or a server error; never our own 4xx. */
export function failedForGood(status: number): boolean {
  return status >= 400 && status < 500;
}

/**
 * Picks the failed workflow_job deliveries to redeliver: per delivery guid, none of its attempts
 * succeeded, the last one failed in a way a retry can fix, and it has been tried fewer than
 * `maxAttempts` times, within the day GitHub keeps a job queued. The cursor moves past everything
 * decided, never past what waits.
 */
export function selectRedeliveries(
  deliveries: readonly HookDelivery[],
  cursor: number,
  options: {
    limit: number;
    maxAttempts: number;
    attemptsOf: (guid: string) => number;
    /** Deliveries made before this time (ms) are passed over: their jobs have timed out. */
    notBefore?: number;
  },
): RedeliveryPlan {
  const newer = deliveries.filter((d) => d.id > cursor).sort((a, b) => a.id - b.id);
  const byGuid = new Map<string, HookDelivery[]>();
  for (const delivery of newer) {
    const list = byGuid.get(delivery.guid) ?? [];
    list.push(delivery);
    byGuid.set(delivery.guid, list);
  }
  const redeliver: HookDelivery[] = [];
  let next = cursor;
  for (const delivery of newer) {
    const attempts = byGuid.get(delivery.guid) ?? [];
    const last = attempts[attempts.length - 1];
    const wanted =
      delivery === last &&
      Date.parse(delivery.delivered_at) >= (options.notBefore ?? -Infinity) &&
      delivery.event === 'workflow_job' &&
      !attempts.some((a) => a.status_code >= 200 && a.status_code < 300) &&
      !failedForGood(delivery.status_code) &&
      options.attemptsOf(delivery.guid) < options.maxAttempts;
    if (wanted) {
      if (redeliver.length >= options.limit) break;
      redeliver.push(delivery);
    }
    next = delivery.id;
  }
  return { redeliver, cursor: next };
}
