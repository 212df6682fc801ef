/**
 * A runner's image could not be pulled onto its engine. The message is the registry's or the
 * engine's own; the runtime throws this so that whoever reads a failed start can tell a missing
 * or refused image from any other failure without knowing the runtime.
 */
export class ImagePullFailed extends Error {
  override readonly name = 'ImagePullFailed';
  readonly image: string;

  constructor(image: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.image = image;
  }
}

/**
 * The HTTP status of the answer an error reports (`status`, as Octokit's and the Actions
 * client's errors carry it), or of the error it wraps: a registrar's refusal says what GitHub
 * answered without the reconciler knowing which registrar it was.
 */
export function httpStatusOf(error: unknown): number | undefined {
  for (let at: unknown = error, depth = 0; depth < 3; depth += 1) {
    if (typeof at !== 'object' || at === null) return undefined;
    if ('status' in at && typeof at.status === 'number' && at.status >= 100) return at.status;
    at = 'cause' in at ? at.cause : undefined;
  }
  return undefined;
}
