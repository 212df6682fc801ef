import { verify } from '@octokit/webhooks-methods';

/** Checks X-Hub-Signature-256 over the exact bytes received; never throws on bad input. */
export async function verifySignature(
  secret: string,
  body: Buffer,
  signature: string | undefined,
): Promise<boolean> {
  if (!signature || !/^sha256=[0-9a-f]{64}$/i.test(signature)) return false;
  try {
    return await verify(secret, body.toString('utf8'), signature);
  } catch {
    return false;
  }
}
