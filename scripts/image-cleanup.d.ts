// Types for scripts/image-cleanup.js (plain ESM so that workflows run it with bare `node`).
export interface PackageVersion {
  id: number;
  /** the manifest digest, sha256:… */
  name: string;
  created_at: string;
  metadata?: { container?: { tags?: string[] } };
}
export interface Verdict {
  id: number;
  digest: string;
  tags: string[];
  remove: boolean;
  reason: string;
}
export declare function isProtectedTag(tag: string): boolean;
export declare function selectVersions(
  versions: PackageVersion[],
  options: { now: Date; days: number; keep: number; children?: Record<string, string[]> },
): Verdict[];
export declare function parseVersions(text: string): PackageVersion[];
export declare function cli(
  argv: string[],
  readFile: (path: string) => string,
): { ids: string[]; table: string };
