import {
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  verify,
  type KeyObject,
} from 'node:crypto';
import { githubError } from './github-error.ts';
import type { ApiResponse } from './router.ts';

/** Rights a token can lack: `runners` (administration / organization_self_hosted_runners), `hooks`. */
export type Permission = 'runners' | 'hooks';

/**
 * A token lacks the rights in `deny`, and has those in `readOnly` at read level only (a
 * fine-grained token with Administration: read lists runners, and cannot register one).
 */
export type TokenInput = string | { token: string; deny?: Permission[]; readOnly?: Permission[] };

export interface AppInstallationInput {
  id: number;
  /** Login of the account (organization or user) the app is installed on. */
  account: string;
  /** Rights this installation was not granted (its tokens lack them). */
  deny?: Permission[];
  /** Rights it was granted at read level only. */
  readOnly?: Permission[];
}

export interface AppInput {
  id: number;
  /** SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM. */
  publicKeyPem: string;
  /** Default `fake-app-<id>`. */
  slug?: string;
  installations: AppInstallationInput[];
}

export interface FakeApp {
  id: number;
  slug: string;
  publicKey: KeyObject;
  installations: AppInstallationInput[];
}

export interface InstallationToken {
  token: string;
  appId: number;
  installationId: number;
  account: string;
  deny: Permission[];
  readOnly: Permission[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Who a request authenticated as. */
export type Principal =
  | { kind: 'token'; token: string; deny: Permission[]; readOnly: Permission[] }
  | {
      kind: 'installation';
      token: string;
      grant: InstallationToken;
      deny: Permission[];
      readOnly: Permission[];
    }
  | { kind: 'app'; app: FakeApp };

export interface AppAuth {
  /** The configured plain tokens, in order. */
  tokens: string[];
  apps: FakeApp[];
  authenticate: (authorization: string | undefined) => Principal | ApiResponse;
  issue: (
    app: FakeApp,
    installation: AppInstallationInput,
    rights: Pick<InstallationToken, 'deny' | 'readOnly'>,
  ) => InstallationToken;
  issued: () => readonly InstallationToken[];
  expireAll: () => void;
  /** A plain token's permissions are changed (its owner edited it on GitHub). */
  setDenied: (token: string, deny: Permission[]) => void;
}

/** An RSA key pair like the one GitHub lets you download for an App (PKCS#1 private key). */
export function generateTestAppKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

// GitHub's own messages for a refused app JWT.
export const JWT_UNDECODABLE = 'A JSON web token could not be decoded';
const EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future";
const EXP_PAST =
  "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const IAT_BAD =
  "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
/** GitHub allows `exp` at most 10 minutes ahead. */
const MAX_JWT_LIFETIME_S = 600;
/** Installation tokens live one hour. */
const INSTALLATION_TOKEN_TTL_MS = 3_600_000;

const decodePart = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
};

/** `Principal` for a valid RS256 app JWT, or GitHub's 401. */
function verifyJwt(jwt: string, apps: FakeApp[], nowMs: number): Principal | ApiResponse {
  const refuse = (message: string) => githubError(401, message);
  const [head = '', body = '', signature = ''] = jwt.split('.');
  const header = decodePart(head) as { alg?: unknown } | undefined;
  const claims = decodePart(body) as { iss?: unknown; exp?: unknown; iat?: unknown } | undefined;
  if (header?.alg !== 'RS256' || typeof claims !== 'object' || claims === null)
    return refuse(JWT_UNDECODABLE);
  const app = apps.find((candidate) => String(candidate.id) === String(claims.iss));
  if (!app) return refuse(JWT_UNDECODABLE);
  const signed = verify(
    'sha256',
    Buffer.from(`${head}.${body}`),
    app.publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) return refuse(JWT_UNDECODABLE);
  const now = nowMs / 1000;
  if (typeof claims.iat !== 'number' || !Number.isInteger(claims.iat) || claims.iat > now + 60)
    return refuse(IAT_BAD);
  if (typeof claims.exp !== 'number' || claims.exp <= now) return refuse(EXP_PAST);
  if (claims.exp > Math.ceil(now) + MAX_JWT_LIFETIME_S) return refuse(EXP_TOO_FAR);
  return { kind: 'app', app };
}

const looksLikeJwt = (value: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(value);

export function createAppAuth(
  tokenInputs: TokenInput[],
  appInputs: AppInput[],
  now: () => number = Date.now,
): AppAuth {
  const plain = new Map<string, { deny: Permission[]; readOnly: Permission[] }>();
  for (const input of tokenInputs) {
    if (typeof input === 'string') plain.set(input, { deny: [], readOnly: [] });
    else
      plain.set(input.token, {
        deny: [...(input.deny ?? [])],
        readOnly: [...(input.readOnly ?? [])],
      });
  }
  const apps: FakeApp[] = appInputs.map((input) => ({
    id: input.id,
    slug: input.slug ?? `fake-app-${input.id}`,
    publicKey: createPublicKey(input.publicKeyPem),
    installations: input.installations.map((installation) => ({ ...installation })),
  }));
  const grants = new Map<string, InstallationToken>();

  return {
    tokens: [...plain.keys()],
    apps,
    authenticate(authorization) {
      const value = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (value === undefined) return githubError(401, 'Bad credentials');
      const rights = plain.get(value);
      if (rights) return { kind: 'token', token: value, ...rights };
      const grant = grants.get(value);
      if (grant) {
        if (grant.expiresAt <= now()) return githubError(401, 'Bad credentials');
        const { deny, readOnly } = grant;
        return { kind: 'installation', token: value, grant, deny, readOnly };
      }
      if (apps.length > 0 && looksLikeJwt(value)) return verifyJwt(value, apps, now());
      return githubError(401, 'Bad credentials');
    },
    issue(app, installation, { deny, readOnly }) {
      const grant: InstallationToken = {
        token: `ghs_${randomBytes(18).toString('hex')}`,
        appId: app.id,
        installationId: installation.id,
        account: installation.account,
        deny,
        readOnly,
        expiresAt: now() + INSTALLATION_TOKEN_TTL_MS,
      };
      grants.set(grant.token, grant);
      return grant;
    },
    issued: () => [...grants.values()],
    setDenied(token, deny) {
      const rights = plain.get(token);
      if (!rights) throw new Error(`fake-github: no token ${token}`);
      plain.set(token, { ...rights, deny: [...deny] });
    },
    expireAll() {
      for (const grant of grants.values()) grant.expiresAt = Math.min(grant.expiresAt, now());
    },
  };
}
