import { actionsError } from './actions-error.ts';
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
