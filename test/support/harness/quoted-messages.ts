import ts from 'typescript';

/** Where a message has a part that varies: `…` or `<name>` in the docs, `${…}` in the source. */
const ANY = '\u0000';
const hasLetters = (part: string) => /[A-Za-z]/.test(part);

/**
 * The texts a source file can print, each with its varying parts as wildcards: TypeScript's
 * string and template literals (a template's `${…}` parts are wildcards; a literal inside one is a
 * text of its own), or for a shell script or compose file each line, with `$NAME` and `${NAME}`
 * as wildcards (`${NAME:?message}` keeps its message).
 */
export function printableTexts(path: string, source: string): string[] {
  if (!path.endsWith('.ts'))
    return source.split('\n').map((line) => line.replace(/\$\{\w+\}|\$\w+/g, ANY));
  const texts: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) texts.push(node.text);
    else if (ts.isTemplateExpression(node))
      texts.push(
        node.head.text + node.templateSpans.map((span) => ANY + span.literal.text).join(''),
      );
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(path, source, ts.ScriptTarget.Latest, false));
  return texts;
}

/** A message as the docs quote it: `…` and `<name>` placeholders become wildcards. */
export function quotedPattern(message: string): string {
  return message
    .replace(/…|<[a-z][\w-]*>/g, ANY)
    .split(ANY)
    .filter((piece, index, pieces) => piece !== '' || index === 0 || index === pieces.length - 1)
    .join(ANY);
}

/**
 * Whether some text prints the whole quoted message, as a run of it. The message's wildcards
 * stand for anything. A text's wildcard stands for a value without letters (`403`, `65532`,
 * ` (…)`), or for what another text prints whole (`${answered}` for `GitHub answered 401 (…)`,
 * `${lack.setting}` for `runner_runtime`), as the code composes its messages; it never stands
 * for words of the message no text prints, so a reworded message is found nowhere. At least half
 * of the message's fixed characters must be the text's own: `${a}: ${b}` prints nothing in
 * particular, nor does `name "${x}"` print every message some text prints whole.
 */
export class MessageCorpus {
  readonly #texts: string[];
  readonly #whole = new Set<string>();
  /** Texts by their fixed start (before the first wildcard), and those starting with one. */
  readonly #byHead = new Map<string, string[]>();
  readonly #headless: string[] = [];
  readonly #printsWhole = new Map<string, boolean>();

  constructor(texts: readonly string[]) {
    // A quoted message is one line: so is each text it is looked for in.
    this.#texts = [...new Set(texts.flatMap((text) => text.split('\n')))].filter(hasLetters);
    for (const text of this.#texts) {
      if (!text.includes(ANY)) this.#whole.add(text);
      else if (text.startsWith(ANY)) this.#headless.push(text);
      else {
        const key = text.slice(0, 1);
        this.#byHead.set(key, [...(this.#byHead.get(key) ?? []), text]);
      }
    }
  }

  prints(message: string): boolean {
    return this.printers(message).length > 0;
  }

  /** The texts that print the message (wildcards shown as `§`). */
  printers(message: string): string[] {
    const pattern = quotedPattern(message);
    const words = pattern.split(/[^A-Za-z]+/).filter((word) => word.length >= 4);
    return this.#texts
      .filter(
        (text) =>
          (words.length === 0 || words.some((word) => text.includes(word))) &&
          this.#matches(text, pattern, 'run'),
      )
      .map((text) => text.replaceAll(ANY, '§'));
  }

  /** Whether a part of a message is what one text prints whole (one level: no composition). */
  #printedWhole(part: string): boolean {
    const known = this.#printsWhole.get(part);
    if (known !== undefined) return known;
    // A text's wildcard stands for no letters here: each word of the part is in the text.
    const words = part.match(/[A-Za-z]+/g) ?? [];
    const fits = (text: string) => words.every((word) => text.replaceAll(ANY, '').includes(word));
    const candidates = [
      ...(this.#byHead.get(part.slice(0, 1)) ?? []).filter((text) =>
        part.startsWith(text.slice(0, text.indexOf(ANY))),
      ),
      ...this.#headless.filter((text) => part.endsWith(text.slice(text.lastIndexOf(ANY) + 1))),
    ].filter(fits);
    const found =
      this.#whole.has(part) || candidates.some((text) => this.#matches(text, part, 'whole'));
    this.#printsWhole.set(part, found);
    return found;
  }

  /**
   * `run`: the whole message matches a run of the text, its wildcards standing for letterless
   * values or for parts other texts print whole, and at least half of its fixed characters meet
   * the text's own (else a text would print any message another prints whole: `x: ${y}`).
   * `whole`: the whole message matches the whole text, its wildcards standing for letterless
   * values only.
   */
  #matches(text: string, message: string, how: 'run' | 'whole'): boolean {
    const stands = (part: string) =>
      !hasLetters(part) || (how === 'run' && this.#printedWhole(part));
    // met[i][j]: the most fixed characters met when the message's first i characters match the
    // text up to j (from any start in a run); -1: they do not match.
    const met = Array.from({ length: message.length + 1 }, (_, i) =>
      Array.from({ length: text.length + 1 }, (_, j): number =>
        i === 0 && (how === 'run' || j === 0) ? 0 : -1,
      ),
    );
    const get = (i: number, j: number) => met[i]?.[j] ?? -1;
    for (let j = 0; j <= text.length; j += 1) {
      for (let i = 1; i <= message.length; i += 1) {
        const wanted = message[i - 1];
        const has = text[j - 1];
        let best = -1;
        // The message's wildcard: nothing more, or one more character of the text.
        if (wanted === ANY) best = Math.max(get(i - 1, j), get(i, j - 1));
        // The text's wildcard: the message's characters from some point on.
        if (has === ANY)
          for (let from = i; from >= 0; from -= 1)
            if (get(from, j - 1) > best && stands(message.slice(from, i))) best = get(from, j - 1);
        if (j > 0 && has !== ANY && wanted === has && get(i - 1, j - 1) >= 0)
          best = Math.max(best, get(i - 1, j - 1) + 1);
        const row = met[i];
        if (row) row[j] = best;
      }
    }
    const last = met[message.length] ?? [];
    if (how === 'whole') return (last[text.length] ?? -1) >= 0;
    const fixed = [...message].filter((char) => char !== ANY).length;
    return Math.max(-1, ...last) * 2 >= fixed;
  }
}
