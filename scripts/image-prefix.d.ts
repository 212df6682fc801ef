// Types for scripts/image-prefix.js (plain ESM so that workflows run it with bare `node`).
export declare const IMAGE_BASENAME: string;
export declare function imagePrefix(options: {
  registry?: string;
  owner?: string;
  namespace?: string;
  ecrRegistry?: string;
}): string;
export declare function cli(argv: string[]): string;
