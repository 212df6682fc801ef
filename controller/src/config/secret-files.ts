import type { ConfigProblem } from './config-types.ts';
import { unreadableReason } from './problems.ts';
import type { SettingValues } from './pool-settings.ts';

/**
 * A secret given as its value (`github_token`) or as a file holding it (`github_token_file`,
 * `GITHUB_TOKEN_FILE`: compose secrets, or any mounted file), so that it need not be in the
 * container's environment (`docker inspect`). Trailing whitespace of the file is dropped.
 * Returns the secret, undefined when neither is set, or false after a problem.
 */
export function secretSetting(
  values: SettingValues,
  key: 'github_token' | 'webhook_secret',
  where: (key: string) => string,
  readFile: (path: string) => string,
  uid: number | undefined,
  problems: ConfigProblem[],
): string | undefined | false {
  const value = values[key];
  const file = values[`${key}_file`];
  if (typeof file !== 'string') return typeof value === 'string' ? value : undefined;
  if (typeof value === 'string') {
    const name = (k: string) => where(k).split(/[ .]/).pop() ?? k;
    problems.push({
      setting: where(`${key}_file`),
      reason: `set ${name(key)} or ${name(`${key}_file`)}, not both`,
    });
    return false;
  }
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    problems.push({ setting: where(`${key}_file`), reason: unreadableReason(file, error, uid) });
    return false;
  }
  const secret = text.trimEnd();
  if (secret === '') {
    problems.push({ setting: where(`${key}_file`), reason: `${file} is empty` });
    return false;
  }
  return secret;
}
