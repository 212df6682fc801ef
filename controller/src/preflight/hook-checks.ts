import { RequestError } from '@octokit/request-error';
import { scopeName } from '../config/github-url.ts';
import type { Config, RepoConfig } from '../config/load-config.ts';
import type { GitHubClient } from '../github/create-octokit.ts';
import { HOOK_RIGHTS } from '../github/github-error.ts';
import { createHookApi, type Hook, type HookApi } from '../github/hook-api.ts';
import { fail, ok, skip, type CheckLine } from './check-line.ts';

const WEBHOOK_PATH = /\/webhook(\/[A-Za-z0-9_.-]+)?\/?$/;

/** The URL the controller registers its hook at (HookManager's), with WEBHOOK_HOST. */
function expectedUrl(
  repo: RepoConfig,
  config: Pick<Config, 'mode' | 'webhookHost'>,
): string | undefined {
  if (config.webhookHost === undefined) return undefined;
  const base = config.webhookHost.replace(/\/+$/, '');
  return config.mode === 'single' ? `${base}/webhook` : `${base}/webhook/${repo.id}`;
}

/**
 * The webhook of a repository or organization: it exists, points at WEBHOOK_HOST (when set),
 * sends JSON, and its last delivery was taken. Without WEBHOOK_HOST a hook made by hand is
 * looked for among those that send workflow_job events to a /webhook path.
 */
export async function hookChecks(
  repo: RepoConfig,
  octokit: GitHubClient,
  config: Pick<Config, 'mode' | 'webhookHost'>,
): Promise<CheckLine[]> {
  const subject = `${repo.id}: ${scopeName(repo.target.scope)}`;
  const api = createHookApi(octokit, repo.target.scope);
  const expected = expectedUrl(repo, config);
  let hooks: Hook[];
  try {
    hooks = await api.list();
  } catch (error) {
    const denied = error instanceof RequestError && [403, 404].includes(error.status);
    if (!denied || expected !== undefined) throw error;
    return [
      skip(
        'webhook',
        `${subject}: the credential cannot read webhooks (${HOOK_RIGHTS.replace('the token needs ', 'needs ')}); check the hook in GitHub's settings`,
      ),
    ];
  }
  const jobHooks = hooks.filter(
    (hook) => hook.events.includes('workflow_job') || hook.events.includes('*'),
  );
  const ours = jobHooks.filter((hook) =>
    expected === undefined
      ? WEBHOOK_PATH.test(hook.config.url ?? '')
      : hook.config.url === expected,
  );
  const hook = ours[0];
  if (!hook) {
    if (expected !== undefined) {
      const elsewhere = jobHooks.map((h) => h.config.url).filter((url) => url !== undefined);
      return [
        elsewhere.length > 0
          ? fail(
              'webhook',
              `${subject}: its workflow_job hook points at ${elsewhere.join(', ')}, not ${expected}`,
              `the controller repoints a hook it made; for one made by hand, set its payload URL to ${expected}, or fix WEBHOOK_HOST`,
            )
          : ok(
              'webhook',
              `${subject}: no hook yet; the controller creates one at ${expected} when it starts`,
            ),
      ];
    }
    return [
      fail(
        'webhook',
        `${subject}: no webhook sends workflow_job events to a /webhook URL`,
        'add one (Settings → Webhooks → Add webhook: payload URL https://YOUR_HOST/webhook, content type application/json, the secret, event "Workflow jobs"), or set WEBHOOK_HOST and the controller adds it',
      ),
    ];
  }
  const lines: CheckLine[] = [
    ok(
      'webhook',
      `${subject}: hook ${hook.id} sends workflow_job events to ${hook.config.url ?? '?'}`,
    ),
  ];
  if (!hook.active)
    lines.push(
      fail('webhook', `${subject}: hook ${hook.id} is not active`, 'tick "Active" in its settings'),
    );
  if (hook.config.content_type !== 'json')
    lines.push(
      fail(
        'webhook',
        `${subject}: hook ${hook.id} sends application/x-www-form-urlencoded, not JSON`,
        expected === undefined
          ? 'edit the hook: Content type application/json'
          : 'the controller sets it to application/json when it starts; or edit the hook: Content type application/json',
      ),
    );
  lines.push(await lastDelivery(api, hook.id, subject));
  return lines;
}

async function lastDelivery(api: HookApi, hookId: number, subject: string): Promise<CheckLine> {
  const last = await api.lastDelivery(hookId);
  if (!last) return ok('webhook', `${subject}: hook ${hookId} has no delivery yet`);
  const at = `${last.event} at ${last.delivered_at}`;
  if (last.status_code >= 200 && last.status_code < 300)
    return ok('webhook', `${subject}: its last delivery (${at}) was answered ${last.status_code}`);
  return fail(
    'webhook',
    `${subject}: its last delivery (${at}) was answered ${last.status_code || 'not at all'}`,
    deliveryFix(last.status_code),
  );
}

function deliveryFix(status: number): string {
  if (status === 401)
    return "the hook's secret is not the controller's: show-secret prints it (docs/webhook-mode.md)";
  if (status === 404) return 'the payload URL names an unknown repository id (/webhook/<id>)';
  if (status === 400) return "read the controller's 'request completed' log line for the reason";
  return 'GitHub could not deliver: DNS, port 443 open to GitHub, a certificate GitHub trusts (docs/webhook-mode.md)';
}
