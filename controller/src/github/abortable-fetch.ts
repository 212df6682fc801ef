/**
 * A fetch whose requests can all be aborted at once (at shutdown, when GitHub does not answer),
 * counting those under way so the controller can say what it left.
 */
/** Named as fetch names an abort, so nothing retries it. */
function shuttingDown(message: string): Error {
  return Object.assign(new Error(message), { name: 'AbortError' });
}

export function createAbortableFetch(base: typeof fetch) {
  const controller = new AbortController();
  let active = 0;
  const wrapped: typeof fetch = async (input, init) => {
    if (controller.signal.aborted) throw shuttingDown('shutting down: request not sent');
    const signal = init?.signal
      ? AbortSignal.any([init.signal, controller.signal])
      : controller.signal;
    active += 1;
    try {
      return await base(input, { ...init, signal });
    } finally {
      active -= 1;
    }
  };
  return {
    fetch: wrapped,
    active: () => active,
    /** Aborts every request under way and refuses new ones; returns how many were aborted. */
    abort: (): number => {
      const aborted = active;
      controller.abort(shuttingDown('shutting down'));
      return aborted;
    },
  };
}

export type AbortableFetch = ReturnType<typeof createAbortableFetch>;
