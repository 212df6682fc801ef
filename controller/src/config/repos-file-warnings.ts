/**
 * Settings of single-repository mode that REPOS_CONFIG_FILE replaces: without a word, a switch
 * of modes would leave the hooks on the old secret (each entry's is generated anew) and every
 * delivery would get 401.
 */
const REPLACED = {
  GITHUB_URL: "each repository's github_url in the file is served",
  WEBHOOK_SECRET:
    'give each repository its webhook_secret (or defaults.webhook_secret) in the file; else each gets its own, read from or generated in DATA_DIR/secrets/<id>',
  WEBHOOK_SECRET_FILE: 'give each repository its webhook_secret_file in the file instead',
} as const;

export function ignoredWithReposFile(env: Record<string, string>): string[] {
  return Object.entries(REPLACED)
    .filter(([name]) => env[name] !== undefined)
    .map(([name, instead]) => `${name} is ignored with REPOS_CONFIG_FILE: ${instead}`);
}
