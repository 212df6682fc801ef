import { actionsError, ActionsServiceError } from './actions-error.ts';
import { isServiceAnswer, type ServiceHealth } from './service-health.ts';
import {
  JobMessage,
  QueueMessage,
  type ScaleSetSession,
  type ScaleSetStatistics,
} from './actions-wire.ts';

/*
 * The session's message queue, after session_client.go (getMessage, deleteMessage) and
 * client.go (parseRunnerScaleSetMessageResponse) of github.com/actions/scaleset at
 * 6ce025902cd964747a078c2aabe7340ebc667eca.
 */

/** client.go HeaderScaleSetMaxCapacity: how many runners the scale set can produce. */
export const MAX_CAPACITY_HEADER = 'X-ScaleSetMaxCapacity';
const JOB_MESSAGES = 'RunnerScaleSetJobMessages';

export type ParsedMessage = {
  messageId: number;
  statistics: ScaleSetStatistics | undefined;
  /** The job messages in the order the service sent them; unknown types are left out. */
  jobs: JobMessage[];
};

/** `empty`: the long poll ended with 202 and nothing new. */
export type PollAnswer = { kind: 'empty' } | { kind: 'message'; message: ParsedMessage };

/** Reads a 200 answer of the queue; `body` is itself JSON, a list of job messages. */
export function parseQueueMessage(raw: unknown): ParsedMessage {
  const message = QueueMessage.parse(raw);
  if (message.messageType !== JOB_MESSAGES)
    throw new Error(`unsupported message type ${message.messageType}`);
  const items: unknown = message.body.length > 0 ? JSON.parse(message.body) : [];
  if (!Array.isArray(items)) throw new Error('message body is not a list of job messages');
  const jobs: JobMessage[] = [];
  for (const item of items) {
    // Like the reference, a message type this client does not know is skipped, not an error.
    const parsed = JobMessage.safeParse(item);
    if (parsed.success) jobs.push(parsed.data);
  }
  return { messageId: message.messageId, statistics: message.statistics ?? undefined, jobs };
}

/**
 * One long poll: `GET <messageQueueUrl>?lastMessageId=N` (the query of the URL kept), `Bearer
 * <messageQueueAccessToken>`, the capacity in X-ScaleSetMaxCapacity. 401 (the queue token
 * expired: refresh the session) and any other non-2xx throw an ActionsServiceError.
 */
export async function pollMessage(
  doFetch: typeof fetch,
  session: ScaleSetSession,
  lastMessageId: number,
  maxCapacity: number,
  signal?: AbortSignal,
): Promise<PollAnswer> {
  const url = new URL(session.messageQueueUrl);
  if (lastMessageId > 0) url.searchParams.set('lastMessageId', String(lastMessageId));
  const response = await doFetch(url, {
    method: 'GET',
    headers: {
      accept: 'application/json; api-version=6.0-preview',
      authorization: `Bearer ${session.messageQueueAccessToken}`,
      [MAX_CAPACITY_HEADER]: String(maxCapacity),
    },
    ...(signal ? { signal } : {}),
  });
  if (response.status === 202) {
    await response.body?.cancel();
    return { kind: 'empty' };
  }
  if (response.status !== 200) throw await actionsError('message poll', response);
  return { kind: 'message', message: parseQueueMessage(await response.json()) };
}

/** `unanswered`: the poll window passed with no answer (an empty long poll, or a dead one). */
export type PollResult = PollAnswer | { kind: 'unanswered' };

const isTimeout = (error: unknown) => error instanceof Error && error.name === 'TimeoutError';

/**
 * `pollMessage` with `doFetch`'s bound as its window: a poll that has not answered by then is
 * given up, which is no failure (a message it was sent meanwhile is not acknowledged and comes
 * again). Tells `service` what the queue answered.
 */
export async function pollWithin(
  doFetch: typeof fetch,
  service: Pick<ServiceHealth, 'answered' | 'failed'>,
  session: ScaleSetSession,
  lastMessageId: number,
  maxCapacity: number,
  signal?: AbortSignal,
): Promise<PollResult> {
  try {
    const answer = await pollMessage(doFetch, session, lastMessageId, maxCapacity, signal);
    service.answered();
    return answer;
  } catch (error) {
    if (isTimeout(error) && !signal?.aborted) return { kind: 'unanswered' };
    if (signal?.aborted) throw error;
    if (error instanceof ActionsServiceError && isServiceAnswer(error.status)) service.answered();
    else service.failed();
    throw error;
  }
}

/** Acknowledges a message (`DELETE <messageQueueUrl path>/<id>`): it will not come again. */
export async function acknowledgeMessage(
  doFetch: typeof fetch,
  session: ScaleSetSession,
  messageId: number,
): Promise<void> {
  const url = new URL(session.messageQueueUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${messageId}`;
  const response = await doFetch(url, {
    method: 'DELETE',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${session.messageQueueAccessToken}`,
    },
  });
  if (response.status !== 204) throw await actionsError('message acknowledgement', response);
  await response.body?.cancel();
}
