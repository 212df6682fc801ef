import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The admin token the registration exchange hands out: a JWT whose `exp` the client reads
 * unverified (client.go actionsServiceAdminTokenExpiresAt). The fake signs it (HS256) so it
 * can tell its own, live tokens from anything else.
 */
export function createAdminJwt(ttlMs: () => number) {
  const secret = randomBytes(32);
  /** Bumped by revokeAll(): tokens of earlier generations are refused. */
  let generation = 1;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const sign = (data: string) => createHmac('sha256', secret).update(data).digest('base64url');

  return {
    issue(tenantId: number): { token: string; expiresAt: number } {
      const nowMs = Date.now();
      const expiresAt = nowMs + ttlMs();
      const claims = {
        iss: 'fake-actions',
        tenant: tenantId,
        gen: generation,
        iat: Math.floor(nowMs / 1000),
        // Seconds, as every JWT; rounded up so a short test TTL never lands in the past.
        exp: Math.ceil(expiresAt / 1000),
      };
      const data = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
      return { token: `${data}.${sign(data)}`, expiresAt: claims.exp * 1000 };
    },
    /** The tenant id of a live token of this fake; undefined for anything else. */
    verify(token: string): number | undefined {
      const [header, payload, signature] = token.split('.');
      if (header === undefined || payload === undefined || signature === undefined)
        return undefined;
      const expected = Buffer.from(sign(`${header}.${payload}`));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        tenant: number;
        gen: number;
        exp: number;
      };
      if (claims.gen !== generation || claims.exp * 1000 <= Date.now()) return undefined;
      return claims.tenant;
    },
    revokeAll(): void {
      generation += 1;
    },
  };
}

export type AdminJwt = ReturnType<typeof createAdminJwt>;
