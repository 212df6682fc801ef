import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks X-Hub-Signature-256 over the exact bytes received, in constant time; never throws on
 * bad input. Done by hand because @octokit/webhooks-methods takes the body as a string, and
 * decoding then re-encoding bytes is not the identity for every input GitHub could be sent.
 */
export function verifySignature(
  secret: string,
  body: Buffer,
  signature: string | undefined,
): boolean {
  const match = signature === undefined ? null : SIGNATURE.exec(signature);
  const given = match?.[1];
  if (given === undefined) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
