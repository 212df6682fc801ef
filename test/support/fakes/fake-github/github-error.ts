import type { ApiResponse } from './router.ts';

/** GitHub's error body: `{message, documentation_url, status}`. */
export function githubError(
  status: number,
  message: string,
  headers?: Record<string, string>,
): ApiResponse {
  return {
    status,
    body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status) },
    ...(headers ? { headers } : {}),
  };
}

export const notFound = (): ApiResponse => githubError(404, 'Not Found');
