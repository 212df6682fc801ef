/** One API request as the fake received it, on the credential it authenticated as. */
export interface ApiUsageEntry {
  /** See credentialOf(): the token, `installation:<id>`, `app:<id>` or `anonymous`. */
  credential: string;
  method: string;
  path: string;
  /** The route's template, e.g. `/repos/{owner}/{repo}/actions/runners`. */
  route: string;
  /** Epoch milliseconds (fractional): when the request was admitted, after its body arrived. */
  start: number;
  /** When its answer was sent or its connection closed; undefined while in flight. */
  end: number | undefined;
  /** Undefined while in flight, or when the connection closed before an answer (a hang fault). */
  status: number | undefined;
  /** Refused by the secondary limits (or a forced one). */
  secondaryLimited: boolean;
}

export interface UsageTicket {
  readonly entry: ApiUsageEntry;
  /** Marks the answer sent (`status`) or the connection gone (no status); once. */
  end: (status: number | undefined, secondaryLimited: boolean) => void;
}

export interface ApiUsageRecord {
  begin: (request: Pick<ApiUsageEntry, 'credential' | 'method' | 'path' | 'route'>) => UsageTicket;
  entries: () => readonly ApiUsageEntry[];
}

/** Sub-millisecond epoch time: a request answered within a millisecond still has a length. */
const preciseNow = () => performance.timeOrigin + performance.now();

/** Every authenticated (or anonymous) API request, for benchmarks; stub routes are not GitHub's. */
export function createApiUsageRecord(now: () => number = preciseNow): ApiUsageRecord {
  const entries: ApiUsageEntry[] = [];
  return {
    begin(request) {
      const entry: ApiUsageEntry = {
        ...request,
        start: now(),
        end: undefined,
        status: undefined,
        secondaryLimited: false,
      };
      entries.push(entry);
      return {
        entry,
        end(status, secondaryLimited) {
          if (entry.end !== undefined) return;
          entry.end = now();
          entry.status = status;
          entry.secondaryLimited = secondaryLimited;
        },
      };
    },
    entries: () => entries.map((entry) => ({ ...entry })),
  };
}
