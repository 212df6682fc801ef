import { ActionsErrorBody } from './actions-wire.ts';

/**
 * A non-2xx answer of the Actions service or of the registration exchange. The message names
 * the request by method and path only: URLs of the service carry no secret in their path, and
 * tokens travel in headers, which are never copied here.
 */
export class ActionsServiceError extends Error {
  override readonly name = 'ActionsServiceError';
  readonly status: number;
  /** The service's exception name, e.g. `TaskAgentSessionConflictException`. */
  readonly typeName: string | undefined;

  constructor(what: string, status: number, typeName: string | undefined, detail?: string) {
    const type = typeName === undefined ? '' : ` ${typeName}`;
    super(`${what}: the Actions service answered ${status}${type}${detail ? `: ${detail}` : ''}`);
    this.status = status;
    this.typeName = typeName;
  }
}

/** Reads an error answer into an ActionsServiceError; the body is parsed as errors.go does. */
export async function actionsError(what: string, response: Response): Promise<ActionsServiceError> {
  const text = await response.text().catch(() => '');
  let typeName: string | undefined;
  let detail: string | undefined;
  try {
    const parsed = ActionsErrorBody.safeParse(JSON.parse(text));
    if (parsed.success) {
      // The service sends assembly-qualified names; the short name is what callers match on.
      typeName = parsed.data.typeName?.split(',')[0]?.split('.').pop();
      detail = parsed.data.message;
    }
  } catch {
    detail = text.slice(0, 200) || undefined;
  }
  return new ActionsServiceError(what, response.status, typeName, detail);
}

export type ActionsErrorKind = 'conflict' | 'not-found' | 'unauthorized' | 'retryable' | 'refused';

/**
 * The one place that sorts Actions service failures. `retryable`: network errors, 429 and
 * 5xx; `refused`: other 4xx, which a retry will not mend.
 */
export function classifyActionsError(error: unknown): ActionsErrorKind {
  if (!(error instanceof ActionsServiceError)) return 'retryable';
  if (error.status === 409) return 'conflict';
  if (error.status === 404) return 'not-found';
  if (error.status === 401) return 'unauthorized';
  if (error.status === 429 || error.status >= 500) return 'retryable';
  return 'refused';
}
