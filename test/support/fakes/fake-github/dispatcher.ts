import { randomUUID } from 'node:crypto';
import type { FakeDelivery, FakeHook, FakeRepo, FakeState } from './state.ts';
import type { SendOptions, WebhookSender } from './webhook-sender.ts';

export type Dispatch = (
  repo: FakeRepo,
  event: string,
  payload: unknown,
  options?: SendOptions,
) => Promise<FakeDelivery[]>;

function coversRepo(hook: FakeHook, repo: FakeRepo): boolean {
  return hook.scope.kind === 'repo'
    ? hook.scope.repo.id === repo.id
    : hook.scope.org.id === repo.org?.id;
}

/**
 * The hooks an event of `repo` goes to: its repository and organization hooks. Hooks created
 * through the API replace the default target (setWebhookTarget) for that repository.
 */
export function targetHooks(state: FakeState, repo: FakeRepo, event: string): FakeHook[] {
  const hooks = [...state.hooks.values()].filter((hook) => coversRepo(hook, repo));
  const managed = hooks.some((hook) => hook.origin === 'api');
  return hooks.filter(
    (hook) =>
      hook.active &&
      (hook.events.includes(event) || hook.events.includes('*')) &&
      (hook.origin === 'api' || !managed),
  );
}

export function createDispatcher(state: FakeState, sender: WebhookSender): Dispatch {
  return (repo, event, payload, options = {}) => {
    // GitHub shares one guid between all hooks that receive the same event.
    const shared = { ...options, guid: options.guid ?? randomUUID() };
    return Promise.all(
      targetHooks(state, repo, event).map((hook) => sender.send(hook, event, payload, shared)),
    );
  };
}
