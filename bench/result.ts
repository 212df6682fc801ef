/** One figure of a benchmark next to its baseline, measured in the same run. */
export type Row = {
  measure: string;
  unit:
    | 'ms'
    | 'µs'
    | 'ns'
    | 's'
    | 'req/s'
    | 'B/job'
    | 'MB'
    | '% of a core'
    | 'req/min'
    | 'req/job'
    | 'writes/min'
    | 'points/min'
    | 'jobs'
    | 'runners';
  value: number;
  baseline: number;
  /** Median of per-round subject/baseline ratios, when rounds pair them (steadier under noise). */
  pairedRatio?: number;
};

export type BenchResult = {
  title: string;
  baseline: string;
  rows: Row[];
  /** What the figures show, one short line. */
  shows: string;
  /** How it was measured (load, repetitions, sizes). */
  method: string;
};

export const ratio = (row: Row): number => row.pairedRatio ?? row.value / row.baseline;
