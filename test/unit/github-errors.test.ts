import { RequestError } from '@octokit/request-error';
import { describe, expect, it } from 'vitest';
import {
  explainRefusal,
  networkErrorText,
  RUNNER_RIGHTS,
} from '../../controller/src/github/github-error.ts';
import { freePort } from '../support/harness/free-port.ts';

// Issue 17, defect 5: 401, 403 and 404 all read "GitHub refused ...", a repository that does
// not exist was said to need Administration write, and a network failure said "fetch failed".
const refusal = (status: number, path: string, message: string) =>
  new RequestError(message, status, {
    request: { method: 'GET', url: `https://api.github.com${path}`, headers: {} },
    response: { status, url: `https://api.github.com${path}`, headers: {}, data: { message } },
  });
const textOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

describe('explainRefusal', () => {
  it('names the status, what it means and, for 403, the permission', () => {
    const what = 'listing runners';
    expect(
      textOf(
        explainRefusal(
          refusal(401, '/repos/o/r/actions/runners', 'Bad credentials'),
          what,
          RUNNER_RIGHTS,
        ),
      ),
    ).toBe(
      'listing runners: GitHub answered 401 (Bad credentials): the token or App key is wrong, expired or revoked',
    );
    expect(
      textOf(
        explainRefusal(
          refusal(
            403,
            '/repos/o/r/actions/runners',
            'Resource not accessible by personal access token',
          ),
          what,
          RUNNER_RIGHTS,
        ),
      ),
    ).toBe(
      `listing runners: GitHub answered 403 (Resource not accessible by personal access token): the credential lacks a permission; ${RUNNER_RIGHTS}`,
    );
  });

  it('says a 404 is a repository or organization that does not exist or cannot be seen', () => {
    const repo = textOf(
      explainRefusal(
        refusal(404, '/repos/o/gone/actions/runners', 'Not Found'),
        'listing runners',
        RUNNER_RIGHTS,
      ),
    );
    expect(repo).toMatch(
      /^listing runners: GitHub answered 404 \(Not Found\): the repository o\/gone does not exist, or the credential cannot see it/,
    );
    expect(repo).not.toContain('Administration');
    const org = textOf(
      explainRefusal(
        refusal(404, '/api/v3/orgs/acme/actions/runners', 'Not Found'),
        'listing runners',
        RUNNER_RIGHTS,
      ),
    );
    expect(org).toContain('the organization acme does not exist');
  });
});

describe('networkErrorText', () => {
  it("names the host and the system's reason instead of fetch's 'fetch failed'", async () => {
    // A port nothing listens on (free a moment ago).
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/repos/o/r`;
    const error: unknown = await fetch(url).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(textOf(error)).toBe('fetch failed');
    expect(networkErrorText(error, url)).toMatch(
      new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`),
    );
  });
});
