import type { Logger } from 'pino';
import type { RepoConfig } from '../config/load-config.ts';
import type { HookApi } from '../github/hook-api.ts';
import { hookDrift } from './hook-drift.ts';
import { fingerprint, type HookState, type HookStateStore } from './hook-state.ts';
import { selectRedeliveries } from './select-redeliveries.ts';

export type HookHealth = {
  url: string;
  hookId: number | undefined;
  error: string | undefined;
  redelivered: number;
};

export type HookManagerDeps = {
  webhookHost: string;
  /** Register hooks with TLS verification off (a self-signed certificate on a private network). */
  insecureSsl: boolean;
  mode: 'single' | 'multi';
  hooks: (repoId: string) => Promise<HookApi>;
  secretOf: (repoId: string) => string;
  store: HookStateStore;
  log: Logger;
  now: () => number;
  onRedelivery?: (repoId: string, outcome: 'ok' | 'error') => void;
};

const JOB_QUEUE_LIMIT_MS = 24 * 3_600_000;
const SYNC_EVERY_MS = 10 * 60_000;
const REDELIVER_PER_PASS = 20;
const MAX_ATTEMPTS_PER_DELIVERY = 3;
const DELIVERY_PAGES = 5;

/**
 * Keeps this controller's webhook in place (created, or repaired when its URL, events, content
 * type, TLS check, active flag or secret drifted; other hooks are never touched) and redelivers
 * the workflow_job deliveries that failed since a cursor kept in DATA_DIR.
 */
export class HookManager {
  readonly #deps: HookManagerDeps;
  readonly #state = new Map<string, HookState>();
  readonly #health = new Map<string, HookHealth>();
  readonly #lastSync = new Map<string, number>();
  readonly #attempts = new Map<string, number>();

  constructor(deps: HookManagerDeps) {
    this.#deps = deps;
  }

  urlFor(repoId: string): string {
    const base = this.#deps.webhookHost.replace(/\/+$/, '');
    return this.#deps.mode === 'single' ? `${base}/webhook` : `${base}/webhook/${repoId}`;
  }

  health(repoId: string): HookHealth | undefined {
    return this.#health.get(repoId);
  }

  /** Called on every resync: the hook is checked every 10 minutes (sooner after a failure). */
  async tend(repo: RepoConfig): Promise<void> {
    const health = this.#health.get(repo.id) ?? {
      url: this.urlFor(repo.id),
      hookId: undefined,
      error: undefined,
      redelivered: 0,
    };
    this.#health.set(repo.id, health);
    const state = this.#state.get(repo.id) ?? (await this.#deps.store.load(repo.id));
    this.#state.set(repo.id, state);
    const due = (this.#lastSync.get(repo.id) ?? -Infinity) + SYNC_EVERY_MS <= this.#deps.now();
    try {
      if (due || health.error !== undefined || state.hookId === undefined) {
        await this.#sync(repo, state, health);
        this.#lastSync.set(repo.id, this.#deps.now());
      }
      await this.#redeliver(repo, state, health);
      health.error = undefined;
    } catch (error) {
      health.error = error instanceof Error ? error.message : String(error);
      this.#deps.log.error(
        { repo: repo.id, err: error, url: health.url },
        'webhook registration or redelivery failed',
      );
      throw error;
    }
  }

  async #sync(repo: RepoConfig, state: HookState, health: HookHealth): Promise<void> {
    const api = await this.#deps.hooks(repo.id);
    const secret = this.#deps.secretOf(repo.id);
    const desired = { url: health.url, secret, insecureSsl: this.#deps.insecureSsl };
    const print = fingerprint(secret);
    const log = this.#deps.log.child({ repo: repo.id, url: desired.url });
    let hook = state.hookId === undefined ? undefined : await api.find(state.hookId);
    hook ??= await api.findByUrl(desired.url);
    if (!hook) {
      hook = await api.create(desired);
      log.info({ hookId: hook.id }, 'webhook created');
    } else {
      const drift = hookDrift(hook, desired, state.secretFingerprint !== print);
      if (drift.length > 0) {
        hook = await api.update(hook.id, desired);
        log.info({ hookId: hook.id, drift }, 'webhook repaired');
      }
    }
    const changed = state.hookId !== hook.id || state.secretFingerprint !== print;
    state.hookId = hook.id;
    state.secretFingerprint = print;
    health.hookId = hook.id;
    if (changed) await this.#deps.store.save(repo.id, state);
  }

  async #redeliver(repo: RepoConfig, state: HookState, health: HookHealth): Promise<void> {
    if (state.hookId === undefined) return;
    const api = await this.#deps.hooks(repo.id);
    const deliveries = await api.deliveriesAfter(
      state.hookId,
      state.deliveryCursor,
      DELIVERY_PAGES,
    );
    const plan = selectRedeliveries(deliveries, state.deliveryCursor, {
      limit: REDELIVER_PER_PASS,
      maxAttempts: MAX_ATTEMPTS_PER_DELIVERY,
      attemptsOf: (guid) => this.#attempts.get(guid) ?? 0,
      // GitHub fails a job queued for 24 hours: older deliveries would only start idle runners.
      notBefore: this.#deps.now() - JOB_QUEUE_LIMIT_MS,
    });
    for (const delivery of plan.redeliver) {
      try {
        await api.redeliver(state.hookId, delivery.id);
        this.#attempts.set(delivery.guid, (this.#attempts.get(delivery.guid) ?? 0) + 1);
        health.redelivered += 1;
        this.#deps.onRedelivery?.(repo.id, 'ok');
        this.#deps.log.info(
          { repo: repo.id, delivery: delivery.guid, status: delivery.status_code },
          'failed delivery redelivered',
        );
      } catch (error) {
        this.#deps.onRedelivery?.(repo.id, 'error');
        throw error;
      }
    }
    if (this.#attempts.size > 10_000) this.#attempts.clear();
    if (plan.cursor !== state.deliveryCursor) {
      state.deliveryCursor = plan.cursor;
      await this.#deps.store.save(repo.id, state);
    }
  }
}
