import type { z } from 'zod';
import { actionsError, ActionsServiceError } from './actions-error.ts';
import {
  AcquiredJobs,
  RunnerGroupList,
  RunnerList,
  ScaleSet,
  ScaleSetJitConfig,
  ScaleSetList,
  ScaleSetSession,
} from './actions-wire.ts';
import { createAdminConnection, type AdminConnectionOptions } from './admin-connection.ts';
import { acknowledgeMessage, pollWithin, type PollResult } from './message-queue.ts';
import { createProbe, createServiceHealth } from './service-health.ts';

/*
 * The Actions service calls of a runner scale set client, after client.go and
 * session_client.go of github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca:
 * paths under `_apis/runtime/`, `?api-version=6.0-preview`, `Bearer <admin token>`; the
 * expected status of each call is the one the reference checks.
 */

const SCALE_SETS = '_apis/runtime/runnerscalesets';
/** client.go runnerEndpoint: the runners (agents) of the tenant, scale set runners among them. */
const RUNNERS = '_apis/distributedtask/pools/0/agents';
/** types.go DefaultRunnerGroup; examples/dockerscaleset/main.go uses id 1 for it unasked. */
const DEFAULT_RUNNER_GROUP = 'default';

type CallOptions = {
  query?: Record<string, string | number>;
  body?: unknown;
  /** Sent instead of the admin token (acquirejobs takes the message queue token). */
  bearer?: string;
};

export type { PollResult } from './message-queue.ts';

export type CreateScaleSetInput = { name: string; runnerGroupId: number; labels: string[] };

export type ActionsClientOptions = AdminConnectionOptions & {
  /** Bound of one service call; 10 s (GitHub ends an API request itself after 10 s). */
  requestTimeoutMs?: number;
  /**
   * How long a long poll is held open before it is given up and sent again; 5 s. The service
   * would hold it about 50 s, but a poll that has not answered cannot be told from one whose
   * connection died in an outage: a short one costs a GET every few seconds and bounds that loss.
   */
  pollWindowMs?: number;
  /** Bound of one probe (`probe`); 2 s (probes overlap: one that hangs holds no other back). */
  probeTimeoutMs?: number;
};

export function createActionsClient(options: ActionsClientOptions) {
  const admin = createAdminConnection(options);
  const baseFetch = options.fetch ?? fetch;
  // A call that hangs (a dead connection, a black-holed route) fails instead, and is retried.
  const bounded =
    (ms: number): typeof fetch =>
    (input, init) => {
      const timeout = AbortSignal.timeout(ms);
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      return baseFetch(input, { ...init, signal });
    };
  const service = createServiceHealth(options.now ?? Date.now);
  const doFetch = service.observe(bounded(options.requestTimeoutMs ?? 10_000));
  // A poll given up after its window is no failure: its outcomes are recorded by pollMessage.
  const pollFetch = bounded(options.pollWindowMs ?? 5_000);
  const probeFetch = service.observe(bounded(options.probeTimeoutMs ?? 2_000));

  async function send(method: string, path: string, request: CallOptions): Promise<Response> {
    const credentials = await admin.get();
    const base = credentials.serviceUrl.endsWith('/')
      ? credentials.serviceUrl
      : `${credentials.serviceUrl}/`;
    const url = new URL(path, base);
    for (const [key, value] of Object.entries(request.query ?? {}))
      url.searchParams.set(key, String(value));
    url.searchParams.set('api-version', '6.0-preview');
    const response = await doFetch(url, {
      method,
      headers: {
        authorization: `Bearer ${request.bearer ?? credentials.token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    if (response.status === 401 && request.bearer === undefined)
      admin.invalidate(credentials.token);
    return response;
  }

  /**
   * One call; an admin token the service refuses (401: revoked, or a clock that ran ahead of
   * its exp) is exchanged anew and the call made once more.
   */
  async function call(
    what: string,
    method: string,
    path: string,
    expected: number,
    request: CallOptions = {},
  ): Promise<Response> {
    let response = await send(method, path, request);
    if (response.status === 401 && request.bearer === undefined) {
      await response.body?.cancel();
      response = await send(method, path, request);
    }
    if (response.status !== expected) throw await actionsError(what, response);
    return response;
  }

  async function read<T extends z.ZodType>(schema: T, response: Response): Promise<z.infer<T>> {
    return schema.parse(await response.json());
  }

  const probe = createProbe(admin, probeFetch);

  return {
    admin,
    /** What this client last saw of the service (see service-health.ts). */
    service,
    probe,

    /** The id of a runner group by name; `default` is id 1, as in the reference's example. */
    async runnerGroupId(name: string): Promise<number> {
      if (name.toLowerCase() === DEFAULT_RUNNER_GROUP) return 1;
      const response = await call(
        'runner group lookup',
        'GET',
        '_apis/runtime/runnergroups/',
        200,
        {
          query: { groupName: name },
        },
      );
      const list = await read(RunnerGroupList, response);
      const [group, ...more] = list.value;
      if (!group || more.length > 0)
        throw new Error(`runner group ${name}: ${list.count} groups have that name`);
      return group.id;
    },

    /** The scale set of that name in the group; undefined when there is none. */
    async findScaleSet(runnerGroupId: number, name: string): Promise<ScaleSet | undefined> {
      const response = await call('scale set lookup', 'GET', SCALE_SETS, 200, {
        query: { runnerGroupId, name },
      });
      const list = await read(ScaleSetList, response);
      if (list.value.length > 1) throw new Error(`scale set ${name}: several have that name`);
      return list.value[0];
    },

    /**
     * Creates a scale set whose labels are its name plus `labels` (types `System`, as
     * client.go applyDefaultLabelTypes sets). Runner self-update is off: each runner lives
     * for one job in a fresh container, where an update would only slow its start.
     */
    async createScaleSet(input: CreateScaleSetInput): Promise<ScaleSet> {
      const names = [input.name, ...input.labels.filter((label) => label !== input.name)];
      const response = await call('scale set creation', 'POST', SCALE_SETS, 200, {
        body: {
          name: input.name,
          runnerGroupId: input.runnerGroupId,
          labels: names.map((name) => ({ name, type: 'System' })),
          RunnerSetting: { disableUpdate: true },
        },
      });
      return read(ScaleSet, response);
    },

    /** The registered runner of that name (client.go GetRunnerByName); undefined: none. */
    async runnerByName(name: string): Promise<{ id: number; name: string } | undefined> {
      const response = await call('runner lookup', 'GET', RUNNERS, 200, {
        query: { agentName: name },
      });
      const list = await read(RunnerList, response);
      if (list.value.length > 1) throw new Error(`runner ${name}: several have that name`);
      return list.value[0];
    },

    /**
     * Removes a runner registration (client.go RemoveRunner). `busy`: it runs a job, and the
     * service keeps it (JobStillRunningException); one already gone counts as removed.
     */
    async removeRunner(runnerId: number): Promise<'removed' | 'busy'> {
      try {
        await call('runner removal', 'DELETE', `${RUNNERS}/${runnerId}`, 204);
        return 'removed';
      } catch (error) {
        if (!(error instanceof ActionsServiceError)) throw error;
        if (error.status === 404) return 'removed';
        if (error.typeName === 'JobStillRunningException') return 'busy';
        throw error;
      }
    },

    /** Deletes a scale set; one already gone counts as deleted. */
    async deleteScaleSet(id: number): Promise<void> {
      try {
        await call('scale set deletion', 'DELETE', `${SCALE_SETS}/${id}`, 204);
      } catch (error) {
        if (!(error instanceof ActionsServiceError) || error.status !== 404) throw error;
      }
    },

    /** Opens the message session; 409 (`TaskAgentSessionConflictException`): one is active. */
    async createSession(scaleSetId: number, ownerName: string): Promise<ScaleSetSession> {
      const response = await call(
        'session creation',
        'POST',
        `${SCALE_SETS}/${scaleSetId}/sessions`,
        200,
        { body: { ownerName } },
      );
      return read(ScaleSetSession, response);
    },

    /** A new message queue token for the session (after a 401 from the queue). */
    async refreshSession(scaleSetId: number, sessionId: string): Promise<ScaleSetSession> {
      const response = await call(
        'session refresh',
        'PATCH',
        `${SCALE_SETS}/${scaleSetId}/sessions/${sessionId}`,
        200,
      );
      return read(ScaleSetSession, response);
    },

    /**
     * Ends the session, so a successor need not wait for it to expire; gone counts as done: 404,
     * or 400 `...SessionExpiredException` for one the service ended (actions-runner-controller
     * #4285: "The session identifier ... is not valid").
     */
    async deleteSession(scaleSetId: number, sessionId: string): Promise<void> {
      try {
        await call(
          'session deletion',
          'DELETE',
          `${SCALE_SETS}/${scaleSetId}/sessions/${sessionId}`,
          204,
        );
      } catch (error) {
        if (!(error instanceof ActionsServiceError)) throw error;
        const ended = error.status === 400 && /SessionExpired/.test(error.typeName ?? '');
        if (error.status !== 404 && !ended) throw error;
      }
    },

    /**
     * Claims available jobs for this scale set; answers the runner request ids it got. Takes
     * the message queue token, as session_client.go acquireJobs does (401: refresh the session).
     */
    async acquireJobs(
      scaleSetId: number,
      session: ScaleSetSession,
      runnerRequestIds: number[],
    ): Promise<number[]> {
      const response = await call(
        'job acquisition',
        'POST',
        `${SCALE_SETS}/${scaleSetId}/acquirejobs`,
        200,
        { body: runnerRequestIds, bearer: session.messageQueueAccessToken },
      );
      return (await read(AcquiredJobs, response)).value;
    },

    /**
     * A single-use runner registration for the scale set: 409 when the name is taken. While the
     * service fails, it waits for its return (probing it) rather than failing once more; until
     * `signal` aborts.
     */
    async generateJitConfig(
      scaleSetId: number,
      name: string,
      workFolder: string,
      signal?: AbortSignal,
    ): Promise<ScaleSetJitConfig> {
      await service.whenAnswering((stop) => probe(scaleSetId, stop), signal);
      const response = await call(
        'JIT config generation',
        'POST',
        `${SCALE_SETS}/${scaleSetId}/generatejitconfig`,
        200,
        { body: { name, workFolder } },
      );
      return read(ScaleSetJitConfig, response);
    },

    /** One long poll, given up after `pollWindowMs` (`unanswered`, not an error). */
    pollMessage: (
      session: ScaleSetSession,
      lastMessageId: number,
      maxCapacity: number,
      signal?: AbortSignal,
    ): Promise<PollResult> =>
      pollWithin(pollFetch, service, session, lastMessageId, maxCapacity, signal),

    acknowledgeMessage: (session: ScaleSetSession, messageId: number): Promise<void> =>
      acknowledgeMessage(doFetch, session, messageId),
  };
}

export type ActionsClient = ReturnType<typeof createActionsClient>;
