import { randomBytes } from 'node:crypto';

/** Runner names the controller makes: the pool's prefix, a dash and 5 random bytes in hex. */
export function newRunnerName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Whether a name is one newRunnerName could have made for this prefix. */
export function isRunnerName(name: string, prefix: string): boolean {
  return name.startsWith(`${prefix}-`) && /^[0-9a-f]{10}$/.test(name.slice(prefix.length + 1));
}
