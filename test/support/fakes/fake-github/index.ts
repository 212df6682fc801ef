export { startFakeGitHub } from './start-fake-github.ts';
export { generateTestAppKey } from './app-auth.ts';
export type {
  AppInput,
  AppInstallationInput,
  InstallationToken,
  Permission,
  TokenInput,
} from './app-auth.ts';
export type * from './fake-github.ts';
export type {
  ContractViolation,
  FakeDelivery,
  FakeHook,
  FakeJob,
  FakeRelease,
  FakeRepo,
  FakeRunner,
  FakeRunnerGroup,
  RequestLogEntry,
  StubReport,
} from './state.ts';
export type { Fault, FailNextOptions } from './faults.ts';
export type { FakeRunnerToken, RunnerTokenKind } from './runner-tokens.ts';
export { callApi, type ApiAnswer } from './call-api.ts';
export type { ApiUsageEntry } from './api-usage.ts';
export {
  summarizeApiUsage,
  summarizeApiUsageByCredential,
  type ApiUsageSummary,
  type UsageCounts,
  type UsageFilter,
} from './api-usage-summary.ts';
export {
  GITHUB_SECONDARY_LIMITS,
  credentialOf,
  type SecondaryLimitAnswer,
  type SecondaryLimitAnswers,
  type SecondaryLimitFigures,
  type SecondaryLimitReason,
  type SecondaryLimitsOption,
} from './secondary-limits.ts';
