import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm run bench` is not part of CI, so a moved build script broke it unnoticed once (the
// scale-set burst still ran test/support/build-images.sh after test/support was cut by kind).
// The scripts and files the benchmarks run or read are checked here instead.
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('bench/', () => {
  it('names only files of this tree that exist', () => {
    const named = readdirSync(path.join(ROOT, 'bench'))
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [
          ...readFileSync(path.join(ROOT, 'bench', file), 'utf8').matchAll(
            /['"`]((?:test|controller|bench)\/[\w./-]+\.(?:sh|ts|json|yml))['"`]/g,
          ),
        ].map((match) => ({ file, target: match[1] ?? '' })),
      );
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter(({ target }) => !existsSync(path.join(ROOT, target)))).toEqual([]);
  });
});
