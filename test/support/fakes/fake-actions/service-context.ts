import type { AdminJwt } from './admin-jwt.ts';
import type { JobFlow } from './job-flow.ts';
import type { MessageQueue } from './message-queue.ts';
import { actionsError, type FakeRequest, type FakeResponse } from './routes.ts';
import type { FakeActionsState, FakeScaleSet, FakeSession, FakeTenant } from './state.ts';

export interface FakeActionsSettings {
  /** How long a session lives without a poll or refresh; a crashed listener's blocks a new one (409) that long. */
  sessionTimeoutMs: number;
  /** How long a poll waits for a message before answering 202. */
  longPollMs: number;
  adminTokenTtlMs: number;
  /** Extra check of registration tokens (e.g. ones the fake GitHub issued). */
  acceptRegistrationToken: ((token: string, configUrl: string) => boolean) | undefined;
}

export interface ServiceContext {
  state: FakeActionsState;
  jwt: AdminJwt;
  queue: MessageQueue;
  flow: JobFlow;
  settings: FakeActionsSettings;
  origin: () => string;
  violation: (req: FakeRequest, problem: string) => void;
}

const bearer = (req: FakeRequest) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];

export function sessionActive(ctx: ServiceContext, session: FakeSession): boolean {
  if (session.ended) return false;
  if (session.polling > 0 || Date.now() - session.lastSeenAt < ctx.settings.sessionTimeoutMs)
    return true;
  session.ended = 'expired';
  return false;
}

/**
 * An admin call (`Bearer <admin JWT>` of this path's tenant, `api-version` in the query, as
 * client.go newActionsServiceRequest sends them): the tenant, or the answer refusing it.
 */
export function adminCall(ctx: ServiceContext, req: FakeRequest): FakeTenant | FakeResponse {
  const token = bearer(req);
  const tenantId = token === undefined ? undefined : ctx.jwt.verify(token);
  const tenant = [...ctx.state.tenants.values()].find((t) => String(t.id) === req.params.tenant);
  if (tenantId === undefined || !tenant || tenant.id !== tenantId)
    return actionsError(401, 'VssUnauthorizedException', 'TF400813: The user is not authorized');
  if (req.query.get('api-version') !== '6.0-preview') {
    ctx.violation(req, 'api-version=6.0-preview missing from the query');
    return actionsError(400, 'VssVersionNotSpecifiedException', 'api-version is required');
  }
  return tenant;
}

/** The live scale set `:id` of the tenant, or a 404. */
export function scaleSetOf(
  ctx: ServiceContext,
  tenant: FakeTenant,
  req: FakeRequest,
): FakeScaleSet | FakeResponse {
  const scaleSet = ctx.state.scaleSets.get(Number(req.params.id));
  if (!scaleSet || scaleSet.deleted || scaleSet.tenant !== tenant)
    return actionsError(404, 'RunnerScaleSetNotFoundException', 'Runner scale set not found');
  return scaleSet;
}

/**
 * A call with the message queue token (`Bearer <messageQueueAccessToken>`): the session, or
 * the answer refusing it. 401: the token is unknown or expired (refresh the session, as
 * session_client.go does on MessageQueueTokenExpiredError); 404: the scale set is gone; 400
 * TaskAgentSessionExpiredException: the session ended.
 */
export function sessionCall(ctx: ServiceContext, req: FakeRequest): FakeSession | FakeResponse {
  const token = bearer(req);
  const session = [...ctx.state.sessions.values()].find((s) => s.token === token);
  // An evicted session's token is unknown to the service: 401, and its refresh then 404s.
  if (
    !session ||
    !session.tokenValid ||
    session.ended === 'evicted' ||
    String(session.scaleSet.id) !== req.params.id
  )
    return actionsError(401, 'VssUnauthorizedException', 'TF400813: The user is not authorized');
  if (session.scaleSet.deleted || session.ended === 'scale-set-deleted')
    return actionsError(404, 'RunnerScaleSetNotFoundException', 'Runner scale set not found');
  if (!sessionActive(ctx, session))
    return actionsError(400, 'TaskAgentSessionExpiredException', `Session ${session.id} ended`);
  session.lastSeenAt = Date.now();
  return session;
}

export const isResponse = (value: object): value is FakeResponse => 'status' in value;
