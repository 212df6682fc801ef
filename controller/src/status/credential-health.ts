import type { CredentialPace } from '../github/credential-pace.ts';
import type { CredentialHealth } from './health-types.ts';

/** A credential's resync lane: its entries and how long its last round over them took. */
export type ResyncRound = {
  credential: string;
  repositories: number;
  lastRoundMs: number | undefined;
};

/** Each credential's share of GitHub's limits, as /health shows it. */
export function credentialHealth(
  rounds: readonly ResyncRound[],
  paceOf: (credential: string) => CredentialPace | undefined,
  budgetPerMinute: number,
): CredentialHealth[] {
  return rounds.map((round) => {
    const pace = paceOf(round.credential)?.state();
    return {
      name: round.credential,
      repositories: round.repositories,
      pointsLastMinute: pace?.pointsLastMinute ?? 0,
      contentLastMinute: pace?.contentLastMinute ?? 0,
      pausedForSeconds: Math.ceil((pace?.pausedForMs ?? 0) / 1000),
      secondaryLimitAnswers: pace?.penalties ?? 0,
      resyncBudgetPerMinute: budgetPerMinute,
      resyncRoundSeconds:
        round.lastRoundMs === undefined ? null : Math.round(round.lastRoundMs / 100) / 10,
    };
  });
}
