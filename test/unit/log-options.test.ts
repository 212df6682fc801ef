import { Writable } from 'node:stream';
import { RequestError } from '@octokit/request-error';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { GitHubRefusal } from '../../controller/src/github/github-error.ts';
import { logOptions } from '../../controller/src/log/log-options.ts';

const SECRET = 'hook-secret-that-must-not-show';
const TOKEN = 'ghp_token-that-must-not-show';

function capture() {
  let output = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString();
      done();
    },
  });
  return { log: pino(logOptions('info'), stream), output: () => output };
}

/** What Octokit throws when creating a hook fails: the request, secret included, comes along. */
function failedHookCreation(status: number): RequestError {
  return new RequestError('Server Error', status, {
    request: {
      method: 'POST',
      url: 'https://api.github.com/repos/o/r/hooks',
      headers: { authorization: `token ${TOKEN}` },
      body: { config: { url: 'https://ci.example.com/webhook', secret: SECRET } },
    },
    response: {
      status,
      url: 'https://api.github.com/repos/o/r/hooks',
      headers: { 'x-github-request-id': 'ABC' },
      data: { message: 'Server Error', echo: SECRET },
    },
  });
}

describe('log options', () => {
  it('logs a failed GitHub request by status and message, without its request or response', () => {
    const { log, output } = capture();
    log.warn({ err: failedHookCreation(502) }, 'webhook registration failed');
    log.warn({ err: new GitHubRefusal('hooks: refused', failedHookCreation(404)) }, 'refused');
    const lines = output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { err: Record<string, unknown> });
    expect(output()).not.toContain(SECRET);
    expect(output()).not.toContain(TOKEN);
    expect(lines[0]?.err).toMatchObject({
      type: 'HttpError',
      message: 'Server Error',
      status: 502,
    });
    expect(lines[1]?.err).toMatchObject({
      type: 'GitHubRefusal',
      message: 'hooks: refused',
      cause: { type: 'HttpError', status: 404 },
    });
  });

  it('redacts secret fields given as log data', () => {
    const { log, output } = capture();
    log.info({ token: TOKEN, hook: { secret: SECRET }, jitConfig: 'jit' }, 'data');
    expect(output()).not.toContain(TOKEN);
    expect(output()).not.toContain(SECRET);
    expect(output()).toContain('[redacted]');
  });

  it('redacts each redacted field at the top level, one level down, and in headers', () => {
    const { log, output } = capture();
    const names = [
      'token',
      'secret',
      'privateKey',
      'jitConfig',
      'encodedJitConfig',
      'encoded_jit_config',
      'authorization',
    ];
    const nested = Object.fromEntries(names.map((name) => [name, TOKEN]));
    const data = {
      ...nested,
      runner: { ...nested, name: 'kept' },
      headers: { authorization: TOKEN, accept: 'kept' },
      req: { url: '/webhook', headers: { 'x-hub-signature-256': SECRET, authorization: TOKEN } },
    };
    log.info(data, 'data');
    const line = JSON.parse(output()) as Record<string, Record<string, unknown>>;
    expect(output()).not.toContain(TOKEN);
    expect(output()).not.toContain(SECRET);
    for (const name of names) {
      expect(line[name]).toBe('[redacted]');
      expect(line.runner?.[name]).toBe('[redacted]');
    }
    expect(line.runner?.name).toBe('kept');
    expect(line.headers).toEqual({ authorization: '[redacted]', accept: 'kept' });
    expect(line.req).toEqual({
      url: '/webhook',
      headers: { 'x-hub-signature-256': '[redacted]', authorization: '[redacted]' },
    });
    // The caller's objects are left as they were.
    expect(data.runner).toMatchObject({ token: TOKEN });
    expect(data.req.headers['x-hub-signature-256']).toBe(SECRET);
  });

  it('redacts the secret fields of a child logger’s bindings', () => {
    const { log, output } = capture();
    log.child({ token: TOKEN, repo: 'r' }).info('child');
    expect(output()).not.toContain(TOKEN);
    expect(JSON.parse(output())).toMatchObject({ repo: 'r', token: '[redacted]' });
  });

  it('keeps an error with a secret field an error, serialized without it', () => {
    const { log, output } = capture();
    log.warn({ err: Object.assign(new Error('boom'), { token: TOKEN }) }, 'failed');
    expect(output()).not.toContain(TOKEN);
    expect(JSON.parse(output())).toMatchObject({ err: { type: 'Error', message: 'boom' } });
  });

  it('keeps plain values that are thrown', () => {
    const { log, output } = capture();
    log.error({ err: 'a string' }, 'odd');
    expect(JSON.parse(output())).toMatchObject({ err: { type: 'string', message: 'a string' } });
  });
});
