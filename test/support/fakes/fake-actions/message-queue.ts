import type { FakeActionsState, FakeMessage, FakeScaleSet } from './state.ts';

/** session_client.go getMessage / README: a message holds at most 50 job messages. */
export const MAX_JOB_MESSAGES = 50;

/**
 * A scale set's message queue. Job messages pile up in `pending`; a poll takes the oldest
 * unacknowledged message with an id above its `lastMessageId` or, when there is none, makes
 * one of up to 50 pending job messages. A message stays until acknowledged (`DELETE
 * .../<id>`), so one never acknowledged comes again to a poll that starts over (a new session
 * asks without lastMessageId): redelivery after a crash.
 */
export function createMessageQueue(state: FakeActionsState) {
  function wake(scaleSet: FakeScaleSet): void {
    for (const waiter of [...scaleSet.waiters]) waiter();
  }

  return {
    push(scaleSet: FakeScaleSet, jobMessage: Record<string, unknown>): void {
      scaleSet.pending.push(jobMessage);
      wake(scaleSet);
    },

    wake,

    /** The next message for a poll that has seen `lastMessageId`; undefined when none. */
    next(scaleSet: FakeScaleSet, lastMessageId: number): FakeMessage | undefined {
      const waiting = scaleSet.messages.find(
        (message) => !message.acknowledged && message.id > lastMessageId,
      );
      if (waiting) return waiting;
      if (scaleSet.pending.length === 0) return undefined;
      const message: FakeMessage = {
        id: state.nextId('message'),
        scaleSetId: scaleSet.id,
        jobMessages: scaleSet.pending.splice(0, MAX_JOB_MESSAGES),
        acknowledged: false,
        deliveries: 0,
      };
      scaleSet.messages.push(message);
      return message;
    },

    /** Resolves when something may have arrived, after `ms`, or when `signal` aborts. */
    wait(scaleSet: FakeScaleSet, ms: number, signal: AbortSignal): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          scaleSet.waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        scaleSet.waiters.add(done);
        signal.addEventListener('abort', done);
      });
    },

    /** false when no such message ever was. */
    acknowledge(scaleSet: FakeScaleSet, messageId: number): boolean {
      const message = scaleSet.messages.find((m) => m.id === messageId);
      if (!message) return false;
      message.acknowledged = true;
      return true;
    },
  };
}

export type MessageQueue = ReturnType<typeof createMessageQueue>;
