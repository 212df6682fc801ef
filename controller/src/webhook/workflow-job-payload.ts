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

export function parseJson(body: Buffer): ParsedBody {
  try {
    return { ok: true, payload: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return { ok: false, reason: 'body is not valid JSON' };
  }
}
