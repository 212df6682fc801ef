import { createApiUsageRecord, type ApiUsageRecord } from './api-usage.ts';
import { summarizeApiUsageByCredential } from './api-usage-summary.ts';
import type { FakeGitHub } from './fake-github.ts';
import {
  createSecondaryLimits,
  type SecondaryLimits,
  type SecondaryLimitsOption,
} from './secondary-limits.ts';

type UsageControls = Pick<
  FakeGitHub,
  'secondaryLimitAnswers' | 'forceSecondaryLimit' | 'apiUsage' | 'apiUsageSummary'
>;

/** The secondary limits and the usage record of one fake, and the fake's methods over them. */
export function createUsageControls(
  option: SecondaryLimitsOption | undefined,
  defaultCredential: string,
): { secondaryLimits: SecondaryLimits; usage: ApiUsageRecord; controls: UsageControls } {
  const secondaryLimits = createSecondaryLimits(option);
  const usage = createApiUsageRecord();
  return {
    secondaryLimits,
    usage,
    controls: {
      secondaryLimitAnswers: () => secondaryLimits.answers(),
      forceSecondaryLimit({ credential = defaultCredential, retryAfterSeconds = 60 } = {}) {
        secondaryLimits.force(credential, retryAfterSeconds);
      },
      apiUsage: () => usage.entries(),
      apiUsageSummary: (filter) => summarizeApiUsageByCredential(usage.entries(), filter),
    },
  };
}
