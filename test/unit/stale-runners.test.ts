import { describe, expect, it } from 'vitest';
import type { RegisteredRunner } from '../../controller/src/github/runner-api.ts';
import { staleRunners } from '../../controller/src/reconcile/stale-runners.ts';

const runner = (name: string, overrides: Partial<RegisteredRunner> = {}): RegisteredRunner => ({
  id: name.length,
  name,
  status: 'offline',
  busy: false,
  ...overrides,
});

describe('staleRunners', () => {
  const registered = [
    runner('runner-aaa'),
    runner('runner-bbb', { status: 'online' }),
    runner('runner-ccc', { busy: true }),
    runner('runner-has-container'),
    runner('someone-else'),
  ];
  const hasContainer = (name: string) => name === 'runner-has-container';

  it('only names our offline, idle registrations without a container, seen twice', () => {
    const first = staleRunners(registered, 'runner', hasContainer, new Set());
    expect(first.stale).toEqual([]);
    expect([...first.candidates]).toEqual(['runner-aaa']);
    const second = staleRunners(registered, 'runner', hasContainer, first.candidates);
    expect(second.stale.map((r) => r.name)).toEqual(['runner-aaa']);
  });
});
