/**
 * A pool's job source that cannot hear of its jobs now (a scale set without its message
 * session). While it is down, what the controller knows of the pool's waiting jobs may be old:
 * it learns of no new job, nor of a job's start. Each source says so in its own words; the
 * reconciler reads it without knowing which kind of source it is.
 */
export type SourceOutage = {
  /** What is down, for people: `scale set linux-x64: no message session`. */
  what: string;
  /** Since when; undefined when not known. */
  since: number | undefined;
  /** When the source tries again; undefined: it is trying now. */
  retryAt: number | undefined;
  /** Why, as the source last heard it. */
  error: string | undefined;
};
