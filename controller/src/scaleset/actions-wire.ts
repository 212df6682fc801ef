import { z } from 'zod';

/*
 * What the Actions service sends, as far as this client reads it. Field names and shapes come
 * from the reference client, github.com/actions/scaleset at
 * 6ce025902cd964747a078c2aabe7340ebc667eca, types.go. Schemas list only the fields used;
 * unknown fields pass (the service adds fields over time).
 */

/** `RunnerScaleSetStatistic` (types.go): the scale set's current counts, sent with every message. */
export const ScaleSetStatistics = z.object({
  totalAvailableJobs: z.number().int(),
  totalAcquiredJobs: z.number().int(),
  totalAssignedJobs: z.number().int(),
  totalRunningJobs: z.number().int(),
  totalRegisteredRunners: z.number().int(),
  totalBusyRunners: z.number().int(),
  totalIdleRunners: z.number().int(),
});
export type ScaleSetStatistics = z.infer<typeof ScaleSetStatistics>;

/** The answer of `POST {api}/actions/runner-registration` (client.go, actionsServiceAdminConnection). */
export const AdminConnectionAnswer = z.object({ url: z.string().min(1), token: z.string().min(1) });
export type AdminConnectionAnswer = z.infer<typeof AdminConnectionAnswer>;

export const RunnerGroup = z.object({ id: z.number().int(), name: z.string() });
export type RunnerGroup = z.infer<typeof RunnerGroup>;
export const RunnerGroupList = z.object({ count: z.number().int(), value: z.array(RunnerGroup) });

/** types.go RunnerReferenceList: runners by name. */
export const RunnerList = z.object({
  count: z.number().int(),
  value: z.array(z.object({ id: z.number().int(), name: z.string() })),
});

export const ScaleSetLabel = z.object({ name: z.string(), type: z.string().optional() });
export const ScaleSet = z.object({
  id: z.number().int(),
  name: z.string(),
  runnerGroupId: z.number().int().optional(),
  labels: z.array(ScaleSetLabel).optional(),
  statistics: ScaleSetStatistics.nullish(),
});
export type ScaleSet = z.infer<typeof ScaleSet>;
export const ScaleSetList = z.object({ count: z.number().int(), value: z.array(ScaleSet) });

/** `RunnerScaleSetSession` (types.go). */
export const ScaleSetSession = z.object({
  sessionId: z.string().min(1),
  ownerName: z.string().optional(),
  messageQueueUrl: z.string().min(1),
  messageQueueAccessToken: z.string().min(1),
  statistics: ScaleSetStatistics.nullish(),
});
export type ScaleSetSession = z.infer<typeof ScaleSetSession>;

/** `runnerScaleSetMessageResponse` (types.go): `body` is a JSON string of up to 50 job messages. */
export const QueueMessage = z.object({
  messageId: z.number().int(),
  messageType: z.string(),
  body: z.string(),
  statistics: ScaleSetStatistics.nullish(),
});
export type QueueMessage = z.infer<typeof QueueMessage>;

/** `JobMessageBase` (types.go); times are ISO strings, absent or year 1 when unset. */
const JobMessageBase = z.object({
  runnerRequestId: z.number().int(),
  jobId: z.string().optional(),
  repositoryName: z.string().optional(),
  ownerName: z.string().optional(),
  jobWorkflowRef: z.string().optional(),
  jobDisplayName: z.string().optional(),
  workflowRunId: z.number().int().optional(),
  eventName: z.string().optional(),
  requestLabels: z.array(z.string()).nullish(),
  queueTime: z.string().optional(),
  scaleSetAssignTime: z.string().optional(),
  runnerAssignTime: z.string().optional(),
  finishTime: z.string().optional(),
});

export const JobMessage = z.discriminatedUnion('messageType', [
  JobMessageBase.extend({
    messageType: z.literal('JobAvailable'),
    acquireJobUrl: z.string().optional(),
  }),
  JobMessageBase.extend({ messageType: z.literal('JobAssigned') }),
  JobMessageBase.extend({
    messageType: z.literal('JobStarted'),
    runnerId: z.number().int().optional(),
    runnerName: z.string().optional(),
  }),
  JobMessageBase.extend({
    messageType: z.literal('JobCompleted'),
    result: z.string().optional(),
    runnerId: z.number().int().optional(),
    runnerName: z.string().optional(),
  }),
]);
export type JobMessage = z.infer<typeof JobMessage>;

/** `acquireJobsResponse` (types.go): the request ids this scale set now holds. */
export const AcquiredJobs = z.object({ count: z.number().int(), value: z.array(z.number().int()) });

/** `RunnerScaleSetJitRunnerConfig` (types.go). */
export const ScaleSetJitConfig = z.object({
  runner: z.object({ id: z.number().int(), name: z.string() }),
  encodedJITConfig: z.string().min(1),
});
export type ScaleSetJitConfig = z.infer<typeof ScaleSetJitConfig>;

/** The Actions service's error body (errors.go, actionsExceptionError). */
export const ActionsErrorBody = z.object({
  typeName: z.string().optional(),
  message: z.string().optional(),
});
