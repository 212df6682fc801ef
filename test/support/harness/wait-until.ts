/** Polls an (async) check until it gives a truthy value; fails with the message after the timeout. */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  message: string,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
