import type { Logger } from 'pino';
import type { PoolConfig } from '../config/load-config.ts';
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
  mode: 'single' | 'multi';
  hooks: (poolId: string) => Promise<HookApi>;
  secretOf: (poolId: string) => string;
  store: HookStateStore;
  log: Logger;
  now: () => number;
  onRedelivery?: (poolId: string, outcome: 'ok' | 'error') => void;
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

  urlFor(poolId: string): string {
    const base = this.#deps.webhookHost.replace(/\/+$/, '');
    return this.#deps.mode === 'single' ? `${base}/webhook` : `${base}/webhook/${poolId}`;
  }

  health(poolId: string): HookHealth | undefined {
    return this.#health.get(poolId);
  }

  /** Called on every resync: the hook is checked every 10 minutes (sooner after a failure). */
  async tend(pool: PoolConfig): Promise<void> {
    const health = this.#health.get(pool.id) ?? {
      url: this.urlFor(pool.id),
      hookId: undefined,
      error: undefined,
      redelivered: 0,
    };
    this.#health.set(pool.id, health);
    const state = this.#state.get(pool.id) ?? (await this.#deps.store.load(pool.id));
    this.#state.set(pool.id, state);
    const due = (this.#lastSync.get(pool.id) ?? -Infinity) + SYNC_EVERY_MS <= this.#deps.now();
    try {
      if (due || health.error !== undefined || state.hookId === undefined) {
        await this.#sync(pool, state, health);
        this.#lastSync.set(pool.id, this.#deps.now());
      }
      await this.#redeliver(pool, state, health);
      health.error = undefined;
    } catch (error) {
      health.error = error instanceof Error ? error.message : String(error);
      this.#deps.log.error(
        { repo: pool.id, err: error, url: health.url },
        'webhook registration or redelivery failed',
      );
      throw error;
    }
  }

  async #sync(pool: PoolConfig, state: HookState, health: HookHealth): Promise<void> {
    const api = await this.#deps.hooks(pool.id);
    const secret = this.#deps.secretOf(pool.id);
    const desired = { url: health.url, secret };
    const print = fingerprint(secret);
    const log = this.#deps.log.child({ repo: pool.id, url: desired.url });
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
    if (changed) await this.#deps.store.save(pool.id, state);
  }

  async #redeliver(pool: PoolConfig, state: HookState, health: HookHealth): Promise<void> {
    if (state.hookId === undefined) return;
    const api = await this.#deps.hooks(pool.id);
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
        this.#deps.onRedelivery?.(pool.id, 'ok');
        this.#deps.log.info(
          { repo: pool.id, delivery: delivery.guid, status: delivery.status_code },
          'failed delivery redelivered',
        );
      } catch (error) {
        this.#deps.onRedelivery?.(pool.id, 'error');
        throw error;
      }
    }
    if (this.#attempts.size > 10_000) this.#attempts.clear();
    if (plan.cursor !== state.deliveryCursor) {
      state.deliveryCursor = plan.cursor;
      await this.#deps.store.save(pool.id, state);
    }
  }
}
