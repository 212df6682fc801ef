import { createRequire } from 'node:module';

type Example = { action: string; repository: { full_name: string }; [key: string]: unknown };
type Definition = { name: string; examples: Example[] };

const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as Definition[];

/** GitHub's own workflow_job example payloads, deep-copied so a test may change them. */
export function workflowJobExample(
  action: string,
  repoFullName?: string,
): Record<string, unknown> & Example {
  const examples =
    definitions.find((definition) => definition.name === 'workflow_job')?.examples ?? [];
  const found = examples.find(
    (example) =>
      example.action === action &&
      (repoFullName === undefined || example.repository.full_name === repoFullName),
  );
  if (!found)
    throw new Error(`no workflow_job ${action} example for ${repoFullName ?? 'any repository'}`);
  return structuredClone(found);
}
