import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RepoConfig } from '../../controller/src/config/load-config.ts';
import {
  ResyncSchedule,
  type ResyncScheduleDeps,
} from '../../controller/src/resync/resync-schedule.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';

// The resync's schedule on fake timers: which repository is read when, and what it spends.
// GitHub is a stand-in that counts requests per credential (each read costs REQUESTS).

const REQUESTS = 3;

function repos(count: number): RepoConfig[] {
  const file = JSON.stringify({
    repositories: Array.from({ length: count }, (_, i) => ({
      id: `r${i}`,
      github_url: `https://github.com/o/r${i}`,
      github_token: i % 2 === 0 ? 'even' : 'odd',
    })),
  });
  return testConfig({ REPOS_CONFIG_FILE: '/repos.json' }, { '/repos.json': file }).repos;
}

type Read = { repo: string; at: number };

function setup(
  count: number,
  options: Partial<Pick<ResyncScheduleDeps, 'budgetPerMinute' | 'intervalMs'>> & {
    credentialOf?: (repoId: string) => string;
  } = {},
) {
  const configured = repos(count);
  const reads: Read[] = [];
  const made = new Map<string, number>();
  const credentialOf = options.credentialOf ?? (() => 'one');
  const spend = (repoId: string, n: number) => {
    const credential = credentialOf(repoId);
    made.set(credential, (made.get(credential) ?? 0) + n);
  };
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const resyncer = new ResyncSchedule({
    repos: configured,
    // One read of a repository: its jobs and its runners, REQUESTS requests in all.
    read: (repo) => {
      reads.push({ repo: repo.id, at: Date.now() });
      spend(repo.id, REQUESTS);
      return Promise.resolve();
    },
    log,
    now: Date.now,
    intervalMs: options.intervalMs ?? 60_000,
    budgetPerMinute: options.budgetPerMinute ?? 60,
    credentialOf,
    requestsMade: (credential) => made.get(credential) ?? 0,
  });
  return { resyncer, reads, made, lines };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the resync schedule', () => {
  it('spends a credential budget evenly: one repository of 3 requests every 3 s at 60 a minute', async () => {
    const { resyncer, reads } = setup(10);
    resyncer.start();
    await vi.advanceTimersByTimeAsync(29_999);
    await resyncer.stop();
    expect(reads.map((read) => read.repo)).toEqual([
      'r0',
      'r1',
      'r2',
      'r3',
      'r4',
      'r5',
      'r6',
      'r7',
      'r8',
      'r9',
    ]);
    const gaps = reads.slice(1).map((read, i) => read.at - (reads[i]?.at ?? 0));
    expect(gaps.every((gap) => gap === 3_000)).toBe(true);
  });

  it('waits for the interval once every repository was read', async () => {
    const { resyncer, reads } = setup(2, { intervalMs: 10_000 });
    resyncer.start();
    await vi.advanceTimersByTimeAsync(25_000);
    await resyncer.stop();
    expect(reads.map((read) => read.at - 1_000_000)).toEqual([
      0, 3_000, 10_000, 13_000, 20_000, 23_000,
    ]);
  });

  it('reads a repository with webhook traffic first whenever it is due, taking turns with the quiet ones', async () => {
    // 10 repositories need 30 s at this budget, the interval is 10 s: the busy one is due
    // every 10 s and is read then, but never twice in a row while a quiet one is due.
    const { resyncer, reads, lines } = setup(10, { intervalMs: 10_000 });
    resyncer.noteTraffic('r7');
    resyncer.start();
    await vi.advanceTimersByTimeAsync(60_000);
    await resyncer.stop();
    const order = reads.map((read) => read.repo);
    expect(order[0]).toBe('r7');
    const busy = reads.filter((read) => read.repo === 'r7');
    expect(busy.length).toBeGreaterThanOrEqual(5);
    const gaps = busy.slice(1).map((read, i) => read.at - (busy[i]?.at ?? 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(13_000);
    for (let i = 1; i < order.length; i += 1) {
      expect(order[i] === 'r7' && order[i - 1] === 'r7').toBe(false);
    }
    // The quiet ones are all read, the longest unread first.
    expect(new Set(order).size).toBe(10);
    expect(lines.some((line) => String(line.msg).startsWith('resync cannot read every'))).toBe(
      true,
    );
  });

  it('keeps half of the budget for quiet repositories however busy the others are', async () => {
    // Five busy repositories alone would take 15 s a round, more than the 10 s interval.
    const { resyncer, reads } = setup(10, { intervalMs: 10_000 });
    for (const busy of ['r0', 'r1', 'r2', 'r3', 'r4']) resyncer.noteTraffic(busy);
    resyncer.start();
    await vi.advanceTimersByTimeAsync(89_999);
    await resyncer.stop();
    const quiet = reads.filter((read) => Number(read.repo.slice(1)) >= 5);
    expect(reads).toHaveLength(30);
    expect(quiet.length).toBeGreaterThanOrEqual(reads.length / 2 - 1);
  });

  it('gives each credential a lane and a budget of its own', async () => {
    const credentialOf = (repoId: string) => (Number(repoId.slice(1)) % 2 === 0 ? 'even' : 'odd');
    const { resyncer, reads, made } = setup(6, { credentialOf });
    resyncer.start();
    await vi.advanceTimersByTimeAsync(8_999);
    await resyncer.stop();
    // Both lanes read at once, each one repository every 3 s.
    const at = (repo: string) => reads.find((read) => read.repo === repo)?.at;
    expect(at('r0')).toBe(at('r1'));
    expect(at('r2')).toBe(at('r3'));
    expect(reads).toHaveLength(6);
    expect(made.get('even')).toBe(9);
    expect(made.get('odd')).toBe(9);
  });

  it('says nothing when every repository fits in the interval', async () => {
    const { resyncer, lines } = setup(3, { intervalMs: 60_000 });
    resyncer.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await resyncer.stop();
    expect(lines.filter((line) => line.level === 40)).toEqual([]);
  });
});
