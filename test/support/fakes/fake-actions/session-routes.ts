import { randomBytes, randomUUID } from 'node:crypto';
import { actionsError, type FakeRequest, type FakeRoutes } from './routes.ts';
import {
  adminCall,
  isResponse,
  scaleSetOf,
  sessionActive,
  sessionCall,
  type ServiceContext,
} from './service-context.ts';
import type { FakeSession } from './state.ts';

const SCALE_SET = '/tenant/:tenant/_apis/runtime/runnerscalesets/:id';

/**
 * Message sessions, the message queue and acquirejobs, after session_client.go of
 * github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca: one session per
 * scale set at a time (another: 409 TaskAgentSessionConflictException, until the first is
 * deleted or expires); the queue answers 202 when a long poll ends empty, 200 with a message,
 * 401 when the queue token expired; acknowledgement is `DELETE <queue>/<messageId>`, 204.
 */
export function addSessionRoutes(routes: FakeRoutes, ctx: ServiceContext) {
  const { state } = ctx;
  const queueUrl = (session: FakeSession) =>
    `${ctx.origin()}/tenant/${session.scaleSet.tenant.id}/_apis/runtime/runnerscalesets/${session.scaleSet.id}/messages?sessionId=${session.id}`;
  const json = (session: FakeSession) => ({
    sessionId: session.id,
    ownerName: session.ownerName,
    runnerScaleSet: { id: session.scaleSet.id, name: session.scaleSet.name },
    messageQueueUrl: queueUrl(session),
    messageQueueAccessToken: session.token,
    statistics: ctx.flow.statistics(session.scaleSet),
  });
  const newToken = () => randomBytes(24).toString('base64url');

  routes.add('POST', `${SCALE_SET}/sessions`, (req) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const scaleSet = scaleSetOf(ctx, tenant, req);
    if (isResponse(scaleSet)) return scaleSet;
    const active = [...state.sessions.values()].find(
      (s) => s.scaleSet === scaleSet && sessionActive(ctx, s),
    );
    if (active)
      return actionsError(
        409,
        'TaskAgentSessionConflictException',
        `The scale set already has an active session for owner ${active.ownerName}.`,
      );
    const ownerName = (req.body as { ownerName?: unknown } | null)?.ownerName;
    if (typeof ownerName !== 'string') ctx.violation(req, 'session body lacks ownerName');
    const session: FakeSession = {
      id: randomUUID(),
      scaleSet,
      ownerName: typeof ownerName === 'string' ? ownerName : '',
      token: newToken(),
      tokenValid: true,
      lastSeenAt: Date.now(),
      polling: 0,
      ended: undefined,
    };
    state.sessions.set(session.id, session);
    return { status: 200, body: json(session) };
  });

  const sessionOf = (req: FakeRequest) => {
    const tenant = adminCall(ctx, req);
    if (isResponse(tenant)) return tenant;
    const scaleSet = scaleSetOf(ctx, tenant, req);
    if (isResponse(scaleSet)) return scaleSet;
    const session = state.sessions.get(req.params.session ?? '');
    if (!session || session.scaleSet !== scaleSet)
      return actionsError(404, 'TaskAgentSessionNotFoundException', 'Session not found');
    return session;
  };
  // What the service answered to a session it no longer holds (actions/scaleset#123 and
  // actions-runner-controller#4285): a refresh 404s, a deletion 400s.
  const evicted = (session: FakeSession) =>
    actionsError(
      404,
      'RunnerAdminException',
      `runner referenced a session ID that doesn't exist in redis: ${session.id}`,
    );
  const invalid = (session: FakeSession) =>
    actionsError(
      400,
      'RunnerScaleSetSessionExpiredException',
      `The session identifier ${session.id} is not valid.`,
    );

  routes.add('PATCH', `${SCALE_SET}/sessions/:session`, (req) => {
    const session = sessionOf(req);
    if (isResponse(session)) return session;
    if (session.ended === 'evicted') return evicted(session);
    if (!sessionActive(ctx, session))
      return actionsError(404, 'TaskAgentSessionNotFoundException', 'Session not found');
    session.token = newToken();
    session.tokenValid = true;
    session.lastSeenAt = Date.now();
    return { status: 200, body: json(session) };
  });

  routes.add('DELETE', `${SCALE_SET}/sessions/:session`, (req) => {
    const session = sessionOf(req);
    if (isResponse(session)) return session;
    if (!sessionActive(ctx, session)) return invalid(session);
    session.ended = 'deleted';
    ctx.queue.wake(session.scaleSet);
    return { status: 204 };
  });

  routes.add('GET', `${SCALE_SET}/messages`, async (req) => {
    const session = sessionCall(ctx, req);
    if (isResponse(session)) return session;
    if (req.query.get('sessionId') !== session.id) {
      ctx.violation(req, 'message queue URL lost its sessionId query');
      return actionsError(400, 'ArgumentException', 'sessionId does not match the token');
    }
    const capacity = Number(req.headers['x-scalesetmaxcapacity']);
    if (!Number.isInteger(capacity) || capacity < 0) {
      ctx.violation(req, 'X-ScaleSetMaxCapacity missing or not a count');
      return actionsError(400, 'ArgumentException', 'X-ScaleSetMaxCapacity is required');
    }
    const scaleSet = session.scaleSet;
    scaleSet.capacity = capacity;
    ctx.flow.assign(scaleSet);
    const lastMessageId = Number(req.query.get('lastMessageId') ?? '0') || 0;
    const deadline = Date.now() + ctx.settings.longPollMs;
    session.polling += 1;
    try {
      for (;;) {
        if (scaleSet.deleted)
          return actionsError(404, 'RunnerScaleSetNotFoundException', 'Runner scale set not found');
        if (session.ended === 'evicted')
          return actionsError(
            401,
            'VssUnauthorizedException',
            'TF400813: The user is not authorized',
          );
        if (session.ended)
          return actionsError(
            400,
            'TaskAgentSessionExpiredException',
            `Session ${session.id} ended`,
          );
        const message = ctx.queue.next(scaleSet, lastMessageId);
        if (message) {
          message.deliveries += 1;
          return {
            status: 200,
            body: {
              messageId: message.id,
              messageType: 'RunnerScaleSetJobMessages',
              body: JSON.stringify(message.jobMessages),
              statistics: ctx.flow.statistics(scaleSet),
            },
          };
        }
        if (req.signal.aborted || Date.now() >= deadline) return { status: 202 };
        await ctx.queue.wait(scaleSet, deadline - Date.now(), req.signal);
      }
    } finally {
      session.polling -= 1;
      session.lastSeenAt = Date.now();
    }
  });

  routes.add('DELETE', `${SCALE_SET}/messages/:messageId`, (req) => {
    const session = sessionCall(ctx, req);
    if (isResponse(session)) return session;
    if (!ctx.queue.acknowledge(session.scaleSet, Number(req.params.messageId)))
      return actionsError(404, 'TaskAgentMessageNotFoundException', 'Message not found');
    return { status: 204 };
  });

  routes.add('POST', `${SCALE_SET}/acquirejobs`, (req) => {
    // session_client.go acquireJobs: an admin-style request carrying the queue token instead.
    if (req.query.get('api-version') !== '6.0-preview')
      ctx.violation(req, 'api-version=6.0-preview missing from the query');
    const session = sessionCall(ctx, req);
    if (isResponse(session)) return session;
    const ids = req.body;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) {
      ctx.violation(req, 'acquirejobs body is not a list of runner request ids');
      return actionsError(400, 'ArgumentException', 'a list of runner request ids is required');
    }
    const value = ctx.flow.acquire(session.scaleSet, ids as number[]);
    return { status: 200, body: { count: value.length, value } };
  });
}
