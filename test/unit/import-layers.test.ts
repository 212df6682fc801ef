import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/architecture.md: the folders of controller/src, lowest first. A folder imports only from
// folders of lower lines; folders on one line do not import each other.
const LAYERS = [
  ['log', 'config', 'shared'],
  ['domain'],
  ['jobs'],
  ['github', 'runners'],
  ['scaleset', 'webhook', 'resync', 'reconcile'],
  ['status'],
  ['metrics'],
  ['http', 'preflight'],
  ['(root)'],
];

const SRC = resolve(import.meta.dirname, '../../controller/src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

const folderOf = (file: string) => {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? (parts[0] ?? '') : '(root)';
};

describe('controller/src imports', () => {
  it('point down the layers of docs/architecture.md, never up or sideways', () => {
    const rank = new Map(LAYERS.flatMap((line, i) => line.map((folder) => [folder, i] as const)));
    const wrong: string[] = [];
    for (const file of sources(SRC)) {
      const from = folderOf(file);
      for (const [, path = ''] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const to = folderOf(resolve(dirname(file), path));
        if (to === from) continue;
        const [a, b] = [rank.get(from), rank.get(to)];
        if (a === undefined || b === undefined || b >= a)
          wrong.push(`${relative(SRC, file)} -> ${relative(SRC, resolve(dirname(file), path))}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
