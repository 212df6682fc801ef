export {
  createActionsClient,
  type ActionsClient,
  type ActionsClientOptions,
} from './actions-client.ts';
export { ActionsServiceError, classifyActionsError } from './actions-error.ts';
export type { RegistrationTokenSource, AdminConnectionOptions } from './admin-connection.ts';
export type {
  ScaleSetBatch,
  ScaleSetEvent,
  ScaleSetJob,
  ScaleSetStatistics,
} from './scale-set-events.ts';
export {
  createScaleSetSource,
  type OnScaleSetBatch,
  type ScaleSetHealth,
  type ScaleSetRunnerConfig,
  type ScaleSetSource,
  type ScaleSetSourceOptions,
  type ScaleSetState,
} from './scale-set-source.ts';
