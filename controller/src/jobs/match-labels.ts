/** A job is served only when every label of its runs-on is among the pool's labels. */
export function matchesLabels(
  jobLabels: readonly string[],
  poolLabels: readonly string[],
): boolean {
  if (jobLabels.length === 0) return false;
  const offered = new Set(poolLabels.map((label) => label.toLowerCase()));
  return jobLabels.every((label) => offered.has(label.toLowerCase()));
}
