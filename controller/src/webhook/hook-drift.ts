import type { DesiredHook, Hook } from '../github/hook-api.ts';

/**
 * What differs between a hook and the one this controller wants; GitHub never shows a hook's
 * secret, so a changed secret is known by its fingerprint, kept from the last time it was set.
 */
export function hookDrift(hook: Hook, desired: DesiredHook, secretChanged: boolean): string[] {
  const drift: string[] = [];
  if (hook.config.url !== desired.url) drift.push('url');
  if (hook.config.content_type !== 'json') drift.push('content_type');
  if (String(hook.config.insecure_ssl ?? '0') !== (desired.insecureSsl ? '1' : '0'))
    drift.push('insecure_ssl');
  if (hook.events.length !== 1 || hook.events[0] !== 'workflow_job') drift.push('events');
  if (!hook.active) drift.push('active');
  if (secretChanged) drift.push('secret');
  return drift;
}
