import type { Logger } from 'pino';
import type { ActionsClient, PollResult } from './actions-client.ts';
import { classifyActionsError } from './actions-error.ts';
import type { ScaleSetSession } from './actions-wire.ts';
import { backoffDelay, waitToRetry, type BackoffOptions, type Sleep } from './backoff.ts';
import type { ScaleSetBatch } from './scale-set-events.ts';
import type { ScaleSetKeeper } from './scale-set-keeper.ts';
import {
  createSessionMessages,
  errorText,
  NO_STATISTICS,
  SessionLost,
  type ListenerStatus,
  type OnScaleSetBatch,
} from './session-messages.ts';

export type { ListenerStatus, OnScaleSetBatch, ScaleSetState } from './session-messages.ts';

/**
 * How the listener retries. A failed poll is retried after `backoff` capped at `pollMaxMs`, a
 * failed session after the whole backoff; both waits end as soon as a probe (a cheap `GET`)
 * finds the service answering again after it was seen down.
 */
export type RetryOptions = BackoffOptions & {
  /** Cap of the wait between failed polls; 5 s. */
  pollMaxMs?: number;
  /** The probes' pace in the first minute of an outage (probeInterval); 200 ms. */
  probeEveryMs?: number;
  /**
   * A probe when the service has not answered for this long (polls given up after their
   * window, as an empty long poll is); 10 s. One that fails ends the poll in flight: its
   * connection may have died with the service, and the probes find out when it is back.
   */
  quietProbeMs?: number;
};

export type ListenerDeps = {
  actions: ActionsClient;
  keeper: ScaleSetKeeper;
  scaleSet: string;
  maxCapacity: () => number;
  log: Logger;
  now: () => number;
  sleep: Sleep;
  backoff: RetryOptions | undefined;
  signal: AbortSignal;
  status: ListenerStatus;
};

/** Why a poll was aborted by the listener itself. */
const RESTART = 'restart: the service answers again';
const DONE = 'done';

/** The queue went quiet and a probe found no service: the poll in flight is given up. */
class ServiceUnreachable extends Error {
  override readonly name = 'ServiceUnreachable';
}

/**
 * The listening loop of one scale set: open a session, hand its statistics over, long-poll, and
 * hand each message over (session-messages.ts). Failures back off and keep the session; a lost
 * session is replaced. Any answer of the service resets the backoff, and while it fails, probes
 * find its return: the listener is back within a probe's interval of it.
 */
export function createScaleSetListener(deps: ListenerDeps) {
  const { actions, keeper, log, now, sleep, signal, status, scaleSet } = deps;
  const retry = deps.backoff ?? {};
  const pollBackoff = {
    ...retry,
    maxMs: Math.min(retry.maxMs ?? 30_000, retry.pollMaxMs ?? 5_000),
  };
  const stopping = () => signal.aborted;
  /** Sessions lost since a poll last answered: the service keeps dropping them. */
  let lostInARow = 0;
  /** The last wait was ended by a probe (see waitToRetry). */
  let afterProbe = false;
  let probing = false;
  let inFlight: AbortController | undefined;
  const { withSession, deliver, handle } = createSessionMessages(deps);

  /** The service answered: whatever failed before is over. */
  const answered = () => {
    status.lastPollAt = now();
    status.failures = 0;
    status.lastError = undefined;
    status.downSince = undefined;
    status.retryAt = undefined;
    afterProbe = false;
  };
  /** The queue is not heard (since the first time), the next attempt due in `retryInMs`. */
  const down = (retryInMs?: number) => {
    status.downSince ??= now();
    status.retryAt = retryInMs === undefined ? undefined : now() + retryInMs;
  };

  /** Waits before retry number `failures`: its backoff, or until a probe finds the service back. */
  async function waitToRetryAfter(
    failures: number,
    error: unknown,
    backoff: RetryOptions,
  ): Promise<void> {
    const ended = await waitToRetry({
      failures,
      outage: classifyActionsError(error) === 'retryable',
      afterProbe,
      // Since when the client has seen the service fail (its calls and probes all count).
      downSince: actions.service.downSince() ?? now(),
      now,
      probe: (stop) => actions.probe(keeper.id(), stop),
      sleep,
      signal,
      backoff,
      probeEveryMs: retry.probeEveryMs,
    });
    afterProbe = ended === 'probe';
    if (afterProbe) log.info({ scaleSet }, 'the Actions service answers again; retrying now');
  }

  /**
   * The service has not answered for `quietProbeMs`: a probe beside the polls tells a quiet
   * queue from a service that no longer answers, whose poll in flight is then given up.
   */
  function probeWhenQuiet(): void {
    const quietFor = now() - (status.lastPollAt ?? 0);
    if (probing || quietFor < (retry.quietProbeMs ?? 10_000)) return;
    probing = true;
    void actions
      .probe(status.current?.scaleSetId, signal)
      .then((result) => {
        if (stopping()) return;
        if (result === 'answered') answered();
        else inFlight?.abort(new ServiceUnreachable('the Actions service does not answer'));
      })
      .finally(() => {
        probing = false;
      });
  }

  /**
   * One long poll, which a failed probe may give up (ServiceUnreachable). Sent while the service
   * is known to fail, it may hang with it: its first answer to anyone (a probe, every 200 ms)
   * restarts the poll at once instead of leaving it to its window.
   */
  async function poll(
    session: ScaleSetSession,
    lastMessageId: number,
    capacity: number,
  ): Promise<PollResult | { kind: 'restarted' }> {
    const current = new AbortController();
    inFlight = current;
    if (actions.service.downSince() !== undefined)
      actions.service
        .whenAnswering((stop) => actions.probe(status.current?.scaleSetId, stop), current.signal)
        .then(
          () => current.abort(RESTART),
          () => undefined,
        );
    try {
      return await actions.pollMessage(
        session,
        lastMessageId,
        capacity,
        AbortSignal.any([signal, current.signal]),
      );
    } catch (error) {
      if (current.signal.reason === RESTART && !stopping()) return { kind: 'restarted' };
      throw error;
    } finally {
      current.abort(DONE);
      inFlight = undefined;
    }
  }

  /** Polls the open session until it is lost or the source stops. */
  async function listen(onBatch: OnScaleSetBatch, initial: ScaleSetBatch): Promise<void> {
    let pendingInitial: ScaleSetBatch | undefined = initial;
    let lastMessageId = 0;
    let pollFailures = 0;
    while (!stopping() && status.current) {
      try {
        if (pendingInitial) {
          await deliver(onBatch, pendingInitial);
          pendingInitial = undefined;
        }
        const capacity = Math.max(0, Math.floor(deps.maxCapacity()));
        const answer = await withSession((session) => poll(session, lastMessageId, capacity));
        if (answer.kind === 'restarted') continue;
        if (answer.kind === 'unanswered') {
          probeWhenQuiet();
          continue;
        }
        answered();
        pollFailures = 0;
        lostInARow = 0;
        status.state = 'listening';
        if (answer.kind === 'empty') continue;
        await handle(onBatch, answer.message);
        lastMessageId = answer.message.messageId;
      } catch (error) {
        if (stopping()) return;
        const kind = error instanceof SessionLost ? 'lost' : classifyActionsError(error);
        if (kind === 'lost' || kind === 'not-found' || kind === 'refused') {
          // The service answered: it is there, only the session is not.
          answered();
          status.lastError = errorText(error);
          down();
          log.warn({ scaleSet, err: error }, 'scale set session lost; opening a new one');
          return;
        }
        pollFailures += 1;
        status.failures += 1;
        status.lastError = errorText(error);
        status.state = 'backing-off';
        const maxRetryInMs = backoffDelay(pollFailures, { ...pollBackoff, random: () => 0 });
        down(maxRetryInMs);
        log.warn({ scaleSet, err: error, maxRetryInMs }, 'scale set listener failed; retrying');
        await waitToRetryAfter(pollFailures, error, pollBackoff);
      }
    }
  }

  /** Until the signal aborts: sessions opened, listened to, replaced when lost. */
  return async function run(onBatch: OnScaleSetBatch): Promise<void> {
    down();
    while (!stopping()) {
      try {
        status.state = 'connecting';
        const current = await keeper.open(signal);
        status.current = current;
        status.state = 'listening';
        answered();
        log.info(
          { scaleSet, scaleSetId: current.scaleSetId, sessionId: current.session.sessionId },
          'scale set session opened',
        );
        await listen(onBatch, {
          messageId: undefined,
          statistics: current.session.statistics ?? status.statistics ?? NO_STATISTICS,
          events: [],
          receivedAt: now(),
        });
        if (stopping()) return;
        // Lost: a first loss reconnects at once; sessions lost again and again, each before a
        // poll answered, back off. A session the service still holds (refused, say) would only
        // make the next one wait out a 409.
        status.current = undefined;
        await actions
          .deleteSession(current.scaleSetId, current.session.sessionId)
          .catch(() => undefined);
        lostInARow += 1;
        if (lostInARow > 1) {
          const retryInMs = backoffDelay(lostInARow - 1, retry);
          down(retryInMs);
          await sleep(retryInMs, signal);
        }
      } catch (error) {
        if (stopping()) return;
        status.failures += 1;
        status.lastError = errorText(error);
        status.state = 'backing-off';
        const maxRetryInMs = backoffDelay(status.failures, { ...retry, random: () => 0 });
        down(maxRetryInMs);
        log.warn({ scaleSet, err: error, maxRetryInMs }, 'scale set session failed; retrying');
        await waitToRetryAfter(status.failures, error, retry);
      }
    }
  };
}
