import { randomInt } from 'node:crypto';
import { scopeMatches, type Scope } from './state.ts';

export type RunnerTokenKind = 'registration' | 'remove';

/** A registration or remove token the fake handed out (`POST {scope}/actions/runners/*-token`). */
export interface FakeRunnerToken {
  token: string;
  kind: RunnerTokenKind;
  scope: Scope;
  expiresAt: string;
}

export interface RunnerTokens {
  issue: (kind: RunnerTokenKind, scope: Scope) => FakeRunnerToken;
  /** The token when it exists, is of that kind and has not expired; undefined otherwise. */
  valid: (token: string, kind: RunnerTokenKind) => FakeRunnerToken | undefined;
  list: () => readonly FakeRunnerToken[];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Registration tokens expire an hour after they were made, as on GitHub. */
const LIFETIME_MS = 60 * 60 * 1000;

/** GitHub's runner tokens look like `AABF3JGZDX3P5PMEXLND6TS6FCWO6`: 29 base32 characters. */
function newToken(): string {
  let token = 'A';
  while (token.length < 29) token += BASE32[randomInt(BASE32.length)];
  return token;
}

export function createRunnerTokens(now: () => number = Date.now): RunnerTokens {
  const tokens = new Map<string, FakeRunnerToken>();
  return {
    issue(kind, scope) {
      const issued = {
        token: newToken(),
        kind,
        scope,
        expiresAt: new Date(now() + LIFETIME_MS).toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      tokens.set(issued.token, issued);
      return issued;
    },
    valid(token, kind) {
      const found = tokens.get(token);
      if (found?.kind !== kind || Date.parse(found.expiresAt) <= now()) return undefined;
      return found;
    },
    list: () => [...tokens.values()],
  };
}

export function tokenFitsScope(token: FakeRunnerToken, scope: Scope): boolean {
  return scopeMatches(token.scope, scope);
}
