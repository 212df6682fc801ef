import type { SourceOutage } from '../domain/source-outage.ts';
import type { ScaleSetHealth } from './scale-set-source.ts';

/**
 * A scale set as a job source that is down: it has no message session, or its polls fail, so
 * it hears of no job of its pool. Undefined while it listens (or before it started, or after
 * it stopped).
 */
export function scaleSetOutage(health: ScaleSetHealth | undefined): SourceOutage | undefined {
  if (health?.downSince === undefined) return undefined;
  const what =
    health.state === 'waiting-for-session'
      ? `scale set ${health.scaleSetName}: another listener still holds its message session`
      : health.sessionId === undefined
        ? `scale set ${health.scaleSetName}: no message session`
        : `scale set ${health.scaleSetName}: its message queue does not answer`;
  return { what, since: health.downSince, retryAt: health.retryAt, error: health.lastError };
}
