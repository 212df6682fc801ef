import { GlobalSettings, NEIGHBOUR_VARIABLES } from './global-settings.ts';
import { envName, POOL_FIELDS, REPO_FIELDS } from './pool-settings.ts';
import { nearest } from './problems.ts';

const KNOWN = [
  ...Object.keys(GlobalSettings.shape),
  ...Object.keys(REPO_FIELDS).map(envName),
  ...Object.keys(POOL_FIELDS).map(envName),
];
const IGNORED = new Set<string>([...KNOWN, ...NEIGHBOUR_VARIABLES]);

/**
 * Environment variables that look like a misspelt setting (`MAX_RUNNER`, `RUNNER_LABEL`): the
 * environment is shared with everything else in the process, so an unknown name cannot be an
 * error, but a near miss of a setting's name, with the same first word, is worth a warning.
 */
export function nearMisses(env: Record<string, string>): string[] {
  const out: string[] = [];
  for (const name of Object.keys(env)) {
    if (IGNORED.has(name) || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    const hint = nearest(name, KNOWN);
    if (hint === undefined || hint.split('_')[0] !== name.split('_')[0]) continue;
    out.push(`${name} is not a setting; did you mean ${hint}?`);
  }
  return out;
}
