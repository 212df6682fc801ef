/** One line of the preflight check: what was checked, and for a failure what to do. */
export type CheckLine = {
  status: 'ok' | 'fail' | 'skip';
  /** `config`, `github`, `webhook`, `engine`, `data`. */
  area: string;
  text: string;
  fix?: string;
};

export const ok = (area: string, text: string): CheckLine => ({ status: 'ok', area, text });
export const skip = (area: string, text: string): CheckLine => ({ status: 'skip', area, text });
export const fail = (area: string, text: string, fix: string): CheckLine => ({
  status: 'fail',
  area,
  text,
  fix,
});

const MARK = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;

/** `ok   github   app: ...`, and for a failure a second line with the fix. */
export function formatLine(line: CheckLine): string {
  const head = `${MARK[line.status]} ${line.area.padEnd(8)} ${line.text}`;
  return line.fix === undefined ? head : `${head}\n              fix: ${line.fix}`;
}
