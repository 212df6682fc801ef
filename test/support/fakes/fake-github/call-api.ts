import type { FakeGitHub } from './fake-github.ts';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, the text when not JSON, undefined when empty. */
  body: unknown;
}

/** One authenticated request to the fake (to `apiUrl`: GHES prefix included), as a client would. */
export async function callApi(
  fake: Pick<FakeGitHub, 'url' | 'token'> & { apiUrl?: string },
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
): Promise<ApiAnswer> {
  const token = options.token === undefined ? fake.token : options.token;
  const response = await fetch(`${fake.apiUrl ?? fake.url}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown = text === '' ? undefined : text;
  if (response.headers.get('content-type')?.includes('json')) body = JSON.parse(text) as unknown;
  return { status: response.status, headers: response.headers, body };
}
