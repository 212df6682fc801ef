/** Splits a comma-separated label list (or takes an array), trimmed, empty entries dropped. */
export function parseLabels(value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  return list.map((label) => label.trim()).filter((label) => label.length > 0);
}
