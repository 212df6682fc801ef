export { startFakeGitHub } from './start-fake-github.ts';
export type * from './fake-github.ts';
export type {
  FakeDelivery,
  FakeHook,
  FakeJob,
  FakeRepo,
  FakeRunner,
  RequestLogEntry,
} from './state.ts';
export type { Fault, FailNextOptions } from './faults.ts';
export { callApi, type ApiAnswer } from './call-api.ts';
