import { describe, expect, it } from 'vitest';
import type { RegisteredRunner } from '../../controller/src/domain/registrar.ts';
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
    runner('runner-0a1b2c3d4e'),
    runner('runner-1111111111', { status: 'online' }),
    runner('runner-2222222222', { busy: true }),
    runner('runner-3333333333'),
    runner('runner-build-box'),
    runner('someone-else'),
  ];
  const hasContainer = (name: string) => name === 'runner-3333333333';

  it('only names our offline, idle registrations without a container, seen twice', () => {
    // runner-build-box shares the prefix but is not a name the controller makes: left alone.
    const first = staleRunners(registered, ['runner'], hasContainer, new Set());
    expect(first.stale).toEqual([]);
    expect([...first.candidates]).toEqual(['runner-0a1b2c3d4e']);
    const second = staleRunners(registered, ['runner'], hasContainer, first.candidates);
    expect(second.stale.map((r) => r.name)).toEqual(['runner-0a1b2c3d4e']);
  });
});
