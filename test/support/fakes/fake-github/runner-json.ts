import type { FakeRunner } from './state.ts';

const readOnlyLabels = new Set(['self-hosted', 'linux', 'x64', 'arm64', 'windows', 'macos']);
const labelIds = new Map<string, number>();

function labelId(name: string): number {
  const key = name.toLowerCase();
  let id = labelIds.get(key);
  if (id === undefined) {
    id = labelIds.size + 1;
    labelIds.set(key, id);
  }
  return id;
}

/** A `runner` object. */
export function runnerJson(runner: FakeRunner) {
  return {
    id: runner.id,
    runner_group_id: runner.runnerGroupId,
    name: runner.name,
    os: 'Linux',
    status: runner.status,
    busy: runner.busy,
    ephemeral: runner.ephemeral ?? true,
    labels: runner.labels.map((name) => ({
      id: labelId(name),
      name,
      type: readOnlyLabels.has(name.toLowerCase()) ? ('read-only' as const) : ('custom' as const),
    })),
  };
}
