import type { Logger } from 'pino';
import type { ActionsClient } from './actions-client.ts';
import { ActionsServiceError, classifyActionsError } from './actions-error.ts';
import type { ScaleSetSession } from './actions-wire.ts';
import type { Sleep } from './backoff.ts';

export type ScaleSetKeeperOptions = {
  actions: ActionsClient;
  name: string;
  /** Labels besides the name (the name is always one). */
  labels: string[];
  runnerGroup: string;
  ownerName: string;
  log: Logger;
  sleep: Sleep;
  /** How long to wait before asking again while another session is active. */
  sessionConflictRetryMs: number;
  onWaiting: (waiting: boolean) => void;
};

/**
 * Keeps the scale set and its message session: finds the scale set by name (creating it, or
 * recreating it when it was removed on GitHub's side) and opens a session, waiting out a 409
 * while an earlier session (of a killed predecessor, say) is still active. The reference
 * library leaves the 409 to its caller; actions-runner-controller's listener retries it every
 * 30 s (cmd/ghalistener/listener/listener.go, createSession), and so does this by default.
 */
export function createScaleSetKeeper(options: ScaleSetKeeperOptions) {
  const { actions, log, name } = options;
  let scaleSetId: number | undefined;
  /** The id last held, kept when it turned out gone: a create then is a recreation. */
  let lastId: number | undefined;

  async function create(runnerGroupId: number, replacing: number | undefined): Promise<number> {
    try {
      const created = await actions.createScaleSet({
        name,
        runnerGroupId,
        labels: options.labels,
      });
      if (replacing === undefined)
        log.info({ scaleSet: name, id: created.id }, 'scale set created');
      else
        log.warn(
          { scaleSet: name, id: created.id, previousId: replacing },
          'scale set was removed on GitHub; recreated it',
        );
      return created.id;
    } catch (error) {
      // Another controller created it in the meantime: take that one.
      if (classifyActionsError(error) !== 'conflict') throw error;
      const found = await actions.findScaleSet(runnerGroupId, name);
      if (!found) throw error;
      return found.id;
    }
  }

  /** Finds or creates the scale set; answers its id. */
  async function ensure(): Promise<number> {
    const runnerGroupId = await actions.runnerGroupId(options.runnerGroup);
    const found = await actions.findScaleSet(runnerGroupId, name);
    if (found) {
      const labels = new Set((found.labels ?? []).map((label) => label.name.toLowerCase()));
      const missing = [name, ...options.labels].filter((label) => !labels.has(label.toLowerCase()));
      if (missing.length > 0)
        log.warn({ scaleSet: name, id: found.id, missing }, 'scale set lacks configured labels');
      scaleSetId = found.id;
    } else {
      scaleSetId = await create(runnerGroupId, lastId);
    }
    lastId = scaleSetId;
    return scaleSetId;
  }

  return {
    ensure,
    /** The scale set's id once known; it changes when the scale set is recreated. */
    id: (): number | undefined => scaleSetId,
    /** The scale set is gone (a 404): the next `open` finds or recreates it. */
    forget(): void {
      scaleSetId = undefined;
    },

    /** A new session; waits while another is active, until it expires or `signal` aborts. */
    async open(signal: AbortSignal): Promise<{ scaleSetId: number; session: ScaleSetSession }> {
      for (let conflicts = 0; ;) {
        const id = scaleSetId ?? (await ensure());
        try {
          const session = await actions.createSession(id, options.ownerName);
          options.onWaiting(false);
          if (conflicts > 0) log.info({ scaleSet: name, conflicts }, 'scale set session opened');
          return { scaleSetId: id, session };
        } catch (error) {
          const kind = classifyActionsError(error);
          if (kind === 'not-found') {
            scaleSetId = undefined;
            continue;
          }
          if (kind !== 'conflict') throw error;
          conflicts += 1;
          options.onWaiting(true);
          log.info(
            { scaleSet: name, retryInMs: options.sessionConflictRetryMs, conflicts },
            'another session of the scale set is still active; waiting for it to expire',
          );
          await options.sleep(options.sessionConflictRetryMs, signal);
          if (signal.aborted) throw new ActionsServiceError('session creation', 409, undefined);
        }
      }
    },
  };
}

export type ScaleSetKeeper = ReturnType<typeof createScaleSetKeeper>;
