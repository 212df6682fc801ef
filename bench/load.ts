/** A small HTTP load generator for 127.0.0.1 only: keep-alive, bounded by count and time. */
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { elapsedMs, nowNs } from './stats.ts';
import type { SignedBody } from './fixtures.ts';

export type LoadResult = {
  /** Latency of each answered request, in milliseconds. */
  latenciesMs: number[];
  requestsPerSecond: number;
  /** Answers other than 202, and requests that failed or timed out. */
  errors: number;
};

type Target = { port: number; agent: Agent; next: () => SignedBody };

const REQUEST_TIMEOUT_MS = 5_000;

export function target(port: number, next: () => SignedBody, connections: number): Target {
  return { port, next, agent: new Agent({ keepAlive: true, maxSockets: connections }) };
}

/** One signed delivery; resolves with its latency in ms, or undefined on failure or non-202. */
function deliver(t: Target): Promise<number | undefined> {
  const { body, signature } = t.next();
  const start = nowNs();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.port,
        method: 'POST',
        path: '/webhook',
        agent: t.agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'x-github-event': 'workflow_job',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 202 ? elapsedMs(start) : undefined));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

function collect(outcomes: (number | undefined)[], seconds: number): LoadResult {
  const latenciesMs = outcomes.filter((ms): ms is number => ms !== undefined);
  return {
    latenciesMs,
    requestsPerSecond: latenciesMs.length / seconds,
    errors: outcomes.length - latenciesMs.length,
  };
}

/** Closed loop: `connections` clients each send the next request as soon as one is answered. */
export async function saturate(
  t: Target,
  {
    connections,
    durationMs,
    maxRequests,
  }: { connections: number; durationMs: number; maxRequests: number },
): Promise<LoadResult> {
  const outcomes: (number | undefined)[] = [];
  const start = nowNs();
  const client = async () => {
    while (elapsedMs(start) < durationMs && outcomes.length < maxRequests) {
      outcomes.push(await deliver(t));
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  return collect(outcomes, elapsedMs(start) / 1000);
}

/** Open loop: requests sent at a fixed rate whatever the answers, like independent senders. */
export async function steadyRate(
  t: Target,
  { perSecond, durationMs }: { perSecond: number; durationMs: number },
): Promise<LoadResult> {
  const total = Math.floor((perSecond * durationMs) / 1000);
  const pending: Promise<number | undefined>[] = [];
  const start = nowNs();
  for (let i = 0; i < total; i += 1) {
    const due = (i * 1000) / perSecond - elapsedMs(start);
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    pending.push(deliver(t));
  }
  const outcomes = await Promise.all(pending);
  return collect(outcomes, durationMs / 1000);
}
