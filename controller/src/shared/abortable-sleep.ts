/** Waits `ms`, or less when the signal aborts; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

// The global timer (not node:timers/promises), so that a test's fake clock drives it too.
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // Aborted: the caller checks its own stop flag.
    signal.addEventListener('abort', done, { once: true });
  });
