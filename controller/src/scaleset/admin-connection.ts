import type { Logger } from 'pino';
import { actionsError } from './actions-error.ts';
import { AdminConnectionAnswer } from './actions-wire.ts';

/** Gives a fresh registration token (`POST {scope}/actions/runners/registration-token`). */
export type RegistrationTokenSource = () => Promise<string>;

export type AdminConnectionOptions = {
  /** GitHub's API base: `https://api.github.com`, or `https://HOST/api/v3` on GHES. */
  apiUrl: string;
  /** The repository or organization URL the scale sets belong to (`https://github.com/o/r`). */
  configUrl: string;
  registrationToken: RegistrationTokenSource;
  fetch?: typeof fetch;
  now?: () => number;
  /** Exchange again this long before the admin token's `exp`; 60 s, as the reference does. */
  refreshMarginMs?: number;
  /** Bound of one exchange; 10 s. */
  requestTimeoutMs?: number;
  log?: Logger;
};

/** The Actions service URL and its admin token (a JWT), valid until `expiresAt`. */
export type AdminCredentials = { serviceUrl: string; token: string; expiresAt: number };

/** Reads `exp` of a JWT without verifying it: it only tells when to exchange again. */
export function jwtExpiresAt(token: string): number {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('the admin token is not a JWT');
  const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  const exp = (claims as { exp?: unknown } | null)?.exp;
  if (typeof exp !== 'number') throw new Error('the admin token carries no exp claim');
  return exp * 1000;
}

/**
 * The admin connection of one repository or organization: a registration token exchanged at
 * `POST {api}/actions/runner-registration` (`RemoteAuth`, body `{url, runner_event:
 * "register"}`) for the Actions service URL and an admin JWT, exchanged again before its
 * `exp`. From client.go (getActionsServiceAdminConnection, updateTokenIfNeeded) of
 * github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca. Concurrent
 * callers share one exchange.
 */
export function createAdminConnection(options: AdminConnectionOptions) {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 60_000;
  const endpoint = `${options.apiUrl.replace(/\/+$/, '')}/actions/runner-registration`;
  let current: AdminCredentials | undefined;
  /** The last credentials obtained, kept when refused or expired: where the service is. */
  let last: AdminCredentials | undefined;
  let exchanging: Promise<AdminCredentials> | undefined;
  let exchanges = 0;

  async function exchange(): Promise<AdminCredentials> {
    const registrationToken = await options.registrationToken();
    const response = await doFetch(endpoint, {
      method: 'POST',
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
      headers: {
        authorization: `RemoteAuth ${registrationToken}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ url: options.configUrl, runner_event: 'register' }),
    });
    if (!response.ok) throw await actionsError('runner registration exchange', response);
    const answer = AdminConnectionAnswer.parse(await response.json());
    exchanges += 1;
    const credentials = {
      serviceUrl: answer.url,
      token: answer.token,
      expiresAt: jwtExpiresAt(answer.token),
    };
    options.log?.debug(
      { configUrl: options.configUrl, expiresAt: new Date(credentials.expiresAt).toISOString() },
      'actions service admin token obtained',
    );
    return credentials;
  }

  return {
    /** Valid credentials, exchanged anew when none are held or they expire within the margin. */
    async get(): Promise<AdminCredentials> {
      if (current && now() + margin < current.expiresAt) return current;
      exchanging ??= exchange()
        .then((credentials) => {
          current = credentials;
          last = credentials;
          return credentials;
        })
        .finally(() => {
          exchanging = undefined;
        });
      return exchanging;
    },
    /** The service refused this token (401): the next `get` exchanges again. */
    invalidate(token: string): void {
      if (current?.token === token) current = undefined;
    },
    /**
     * The last credentials obtained, even refused or expired, without exchanging: enough to ask
     * whether the service answers at all. Undefined before the first exchange.
     */
    last: (): AdminCredentials | undefined => last,
    /** When the held admin token expires; undefined before the first exchange. */
    expiresAt: (): number | undefined => current?.expiresAt,
    exchanges: (): number => exchanges,
  };
}

export type AdminConnection = ReturnType<typeof createAdminConnection>;
