// Test vectors quoted verbatim from the "build once, test many" plan (seed 004). Shared by the
// tag computation and the cleanup selection tests.

/** "Feature Branch Sanitized Tagging", "Example Transforms": branch → its immutable tag. */
export const SEED_TRANSFORMS = `
feature/Add_New-Feature     → feature-add-new-feature-abc1234
feature/dns/subdomain        → feature-dns-subdomain-def5678
feature/fix-#123             → feature-fix-123-ghi9012
`;

/** "Immutable PR Tagging with SHA", "Example Tags": two commits of one pull request. */
export const SEED_PR_TAGS = `
pr-123-abc1234  # PR #123, commit abc1234
pr-123-def5678  # PR #123, commit def5678 (force push)
`;

/** "Testing Checklist / Feature Branch Workflow", `{sha}` left as written there. */
export const SEED_CHECKLIST = [
  ['feature/my-feature', 'feature-my-feature-{sha}'],
  ['feature/Sub/Feature', 'feature-sub-feature-{sha}'],
  ['feature/fix-#123', 'feature-fix-123-{sha}'],
] as const;

/** The transforms as { branch, expected, sha } (sha: the expected tag's last 7 characters). */
export const seedTransforms = () =>
  SEED_TRANSFORMS.trim()
    .split('\n')
    .map((line) => {
      const [branch = '', expected = ''] = line.split('→').map((s) => s.trim());
      return { branch, expected, sha: expected.slice(-7) };
    });

export const seedPrTags = () =>
  SEED_PR_TAGS.trim()
    .split('\n')
    .map((line) => line.split('#')[0]?.trim() ?? '');
