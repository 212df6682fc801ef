export { startFakeActions } from './start-fake-actions.ts';
export type { FakeActions, FakeActionsOptions, QueueJobInput } from './fake-actions.ts';
export type { FakeActionsFault, FakeOutage } from './request-listener.ts';
export type { FakeStatistics } from './job-flow.ts';
export type {
  FakeActionsRequest,
  FakeActionsViolation,
  FakeJobState,
  FakeMessage,
  FakeScaleSet,
  FakeScaleSetJob,
  FakeScaleSetRunner,
  FakeSession,
} from './state.ts';
