/** Benchmark 1: webhook intake over real HTTP on 127.0.0.1, controller vs a bare Fastify app. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerMessage, ServerVariant } from './intake-server.ts';
import { saturate, steadyRate, target, type LoadResult } from './load.ts';
import { ratio, type BenchResult, type Row } from './result.ts';
import { verifySignature } from '../controller/src/webhook/verify-signature.ts';
import { imageNodeOptions } from '../test/support/harness/controller-process.ts';
import { queuedDeliveries, SECRET } from './fixtures.ts';
import { comparePerCall, median, percentile } from './stats.ts';

const ROUNDS = 5;
const STEADY = { perSecond: 200, durationMs: 2_500 };
const SATURATE = { connections: 50, durationMs: 2_500, maxRequests: 50_000 };
const WARMUP = { connections: 50, durationMs: 700, maxRequests: 5_000 };
const VARIANTS: ServerVariant[] = ['controller', 'controller-silent', 'baseline'];

type Server = { child: ChildProcess; port: number };

function startServer(variant: ServerVariant): Promise<Server> {
  const script = fileURLToPath(new URL('./intake-server.ts', import.meta.url));
  // The controller runs with the image's node options; the bare app with none.
  const nodeOptions = variant === 'baseline' ? [] : imageNodeOptions();
  const child = fork(script, [variant], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...nodeOptions],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${variant} server did not start`)), 20_000);
    child.once('message', (message: ServerMessage) => {
      clearTimeout(timer);
      if ('port' in message) resolve({ child, port: message.port });
      else reject(new Error('unexpected message'));
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
}

function bookedBy(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.child.once('message', (message: ServerMessage) =>
      resolve('booked' in message ? message.booked : Number.NaN),
    );
    server.child.send('booked?');
  });
}

type Runs = { steady: LoadResult[]; saturated: LoadResult[] };

/**
 * The work no delivery can skip, in µs: the HMAC over the raw body and JSON.parse of it (the
 * same calls the controller makes), measured in this process against a copy of the body.
 */
async function requiredWorkUs(): Promise<number> {
  const { body, signature } = queuedDeliveries()(123_456_789);
  const { subjectNs } = await comparePerCall(
    () => verifySignature(SECRET, body, signature) && JSON.parse(body.toString('utf8')),
    () => body.length,
  );
  return subjectNs / 1000;
}

const medianOf = (results: LoadResult[], pick: (result: LoadResult) => number) =>
  median(results.map(pick));
const p50 = (result: LoadResult) => percentile(result.latenciesMs, 50);
const p99 = (result: LoadResult) => percentile(result.latenciesMs, 99);
const rps = (result: LoadResult) => result.requestsPerSecond;

export async function benchIntake(log: (line: string) => void): Promise<BenchResult> {
  const servers = new Map<ServerVariant, Server>();
  try {
    for (const variant of VARIANTS) servers.set(variant, await startServer(variant));
    const nextBody = queuedDeliveries();
    const targets = new Map(
      VARIANTS.map((variant) => {
        let jobId = 1;
        const port = servers.get(variant)?.port ?? 0;
        return [variant, target(port, () => nextBody(jobId++), SATURATE.connections)] as const;
      }),
    );
    const runs = new Map<ServerVariant, Runs>(
      VARIANTS.map((variant) => [variant, { steady: [], saturated: [] }]),
    );
    const sentTo = (results: LoadResult[]) =>
      results.reduce((sum, result) => sum + result.latenciesMs.length + result.errors, 0);
    const warmups = new Map<ServerVariant, LoadResult>();
    for (const variant of VARIANTS) {
      warmups.set(variant, await saturate(targets.get(variant)!, WARMUP));
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      // Rotate the order each round so no variant always runs first or last.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
      for (const variant of order) {
        const t = targets.get(variant)!;
        const run = runs.get(variant)!;
        run.steady.push(await steadyRate(t, STEADY));
        run.saturated.push(await saturate(t, SATURATE));
        const last = run.saturated.at(-1)!;
        log(`  round ${round + 1} ${variant}: ${last.requestsPerSecond.toFixed(0)} req/s`);
      }
    }
    const all = [...runs.values()].flatMap((run) => [...run.steady, ...run.saturated]);
    const errors = all.reduce((sum, result) => sum + result.errors, 0);
    const c = runs.get('controller')!;
    const controllerSent = sentTo([warmups.get('controller')!, ...c.steady, ...c.saturated]);
    const booked = await bookedBy(servers.get('controller')!);
    const s = runs.get('controller-silent')!;
    const b = runs.get('baseline')!;
    const row = (
      measure: string,
      unit: Row['unit'],
      subject: LoadResult[],
      base: LoadResult[],
      pick: (result: LoadResult) => number,
    ): Row => ({
      measure,
      unit,
      value: medianOf(subject, pick),
      baseline: medianOf(base, pick),
      pairedRatio: median(subject.map((result, i) => pick(result) / pick(base[i]!))),
    });
    const requiredUs = await requiredWorkUs();
    // A bare answer takes 1/rps of the process; a delivery takes that plus its required work.
    const boundRps = (rate: number) => 1 / (1 / rate + requiredUs / 1e6);
    const n = `${SATURATE.connections} connections`;
    const rows: Row[] = [
      row(`p50 latency, ${STEADY.perSecond} req/s`, 'ms', c.steady, b.steady, p50),
      row(`p99 latency, ${STEADY.perSecond} req/s`, 'ms', c.steady, b.steady, p99),
      row(`throughput, ${n}`, 'req/s', c.saturated, b.saturated, rps),
      row(`p99 latency, ${n}`, 'ms', c.saturated, b.saturated, p99),
      {
        measure: `throughput, ${n}, against a bare answer plus the HMAC and JSON.parse`,
        unit: 'req/s',
        value: medianOf(c.saturated, rps),
        baseline: boundRps(medianOf(b.saturated, rps)),
        pairedRatio: median(c.saturated.map((r, i) => rps(r) / boundRps(rps(b.saturated[i]!)))),
      },
      row(`p50 latency, ${STEADY.perSecond} req/s, logs off`, 'ms', s.steady, b.steady, p50),
      row(`throughput, ${n}, logs off`, 'req/s', s.saturated, b.saturated, rps),
      row(`p99 latency, ${n}, logs off`, 'ms', s.saturated, b.saturated, p99),
    ];
    const p99Ms = rows[1]!.value;
    const addedMs = rows[0]!.value - rows[0]!.baseline;
    const share = ratio(rows[2]!);
    const saturatedP99 = rows[3]!.value;
    const meets = (ok: boolean, target: string) => (ok ? `meets ${target}` : `MISSES ${target}`);
    return {
      title: '1. Webhook intake over HTTP (127.0.0.1)',
      baseline: 'bare Fastify app answering 202 to the same POST (body read, no other work)',
      rows,
      method:
        `Real \`buildApp\` + \`handleDelivery\` (HMAC over raw bytes, JSON.parse and zod, delivery ` +
        `log, job book, prom-client counter; pino at info, the controller's redaction, to ` +
        `/dev/null: one \`job event booked\` line per accepted delivery) in a ` +
        `child process; signed ~11 KB \`queued\` deliveries with distinct job ids from node:http ` +
        `keep-alive clients in the parent. Per round: ${STEADY.perSecond} req/s open loop for ` +
        `${STEADY.durationMs / 1000} s, then ${SATURATE.connections} closed-loop connections for ` +
        `${SATURATE.durationMs / 1000} s; ${ROUNDS} rounds, order rotated; figures are medians of rounds, ratios medians of the per-round ratios. ` +
        `"logs off" is the same controller with a silent logger. Failed or non-202 answers: ` +
        `${errors}; jobs booked by the controller: ${booked} of ${controllerSent} sent (incl. warm-up).`,
      shows:
        `At ${SATURATE.connections} connections one process serves ` +
        `${rows[2]!.value.toFixed(0)} deliveries/s, ${(100 * share).toFixed(0)} % of a bare ` +
        `Fastify answer's rate (${meets(share >= 0.8, 'the 80 % target')}), p99 ` +
        `${saturatedP99.toFixed(1)} ms (${meets(saturatedP99 <= 20, 'the 20 ms target')}), ` +
        `${errors === 0 ? 'no delivery failed' : `${errors} failed`}; with logs off ` +
        `${(100 * ratio(rows[6]!)).toFixed(0)} %. What bounds it: the HMAC and JSON.parse of the ` +
        `~11 KB body, which no delivery can skip, take ${requiredUs.toFixed(0)} µs, against ` +
        `${(1e6 / rows[2]!.baseline).toFixed(0)} µs of the process for a whole bare answer, so a ` +
        `controller doing nothing else would serve at most ` +
        `${(100 * (rows[4]!.baseline / rows[2]!.baseline)).toFixed(0)} % of the bare rate; it ` +
        `serves ${(100 * ratio(rows[4]!)).toFixed(0)} % of that bound (the rest: zod, the job ` +
        `book, the counter and the log line). At ${STEADY.perSecond} req/s the p99 is ${p99Ms.toFixed(1)} ms ` +
        `(${p99Ms < 10 ? 'under' : 'OVER'} 10 ms; GitHub allows 10 s) and a delivery adds about ` +
        `${(addedMs * 1000).toFixed(0)} µs at p50.`,
    };
  } finally {
    for (const server of servers.values()) server.child.disconnect();
  }
}
