import { z } from 'zod';

/** Only the fields of a workflow_job delivery the controller uses. */
export const WorkflowJobPayload = z.object({
  action: z.string(),
  workflow_job: z.object({
    // A job or run id is a positive integer: anything else is no job GitHub sent.
    id: z.number().int().positive(),
    run_id: z.number().int().positive(),
    labels: z.array(z.string()),
    runner_name: z.string().nullable().optional(),
    conclusion: z.string().nullable().optional(),
  }),
  repository: z.object({
    full_name: z.string(),
    owner: z.object({ login: z.string() }),
  }),
  organization: z.object({ login: z.string() }).optional(),
});
export type WorkflowJobPayload = z.infer<typeof WorkflowJobPayload>;

export type ParsedBody = { ok: true; payload: unknown } | { ok: false; reason: string };

const FORM = 'application/x-www-form-urlencoded';

/**
 * The JSON a delivery carries. GitHub sends it as the body (content type `application/json`) or,
 * with the hook's default content type (`application/x-www-form-urlencoded`), as the form field
 * `payload`; the signature covers the body as sent either way, so this runs after it is checked.
 */
export function parseJson(body: Buffer, contentType?: string): ParsedBody {
  const form = contentType?.split(';')[0]?.trim().toLowerCase() === FORM;
  const text = form
    ? new URLSearchParams(body.toString('utf8')).get('payload')
    : body.toString('utf8');
  if (text === null) return { ok: false, reason: 'form body has no payload field' };
  try {
    return { ok: true, payload: JSON.parse(text) as unknown };
  } catch {
    return {
      ok: false,
      reason: form ? 'payload field is not valid JSON' : 'body is not valid JSON',
    };
  }
}
