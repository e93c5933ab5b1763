/** A word of a text with the whitespace after it; `cut` when the word was too long and was shortened. */
export interface Word {
  text: string;
  cut: boolean;
}

/**
 * The longest word, in characters, chunking passes on whole for a budget of `budget` tokens: 16
 * characters per token, more than any tokenizer's longest piece, so the part kept still fills the
 * window. Longer words (a pasted blob) are cut: the engine would keep only their first window, and
 * tokenizing megabytes of one word would hold the thread for seconds.
 */
export function longWordChars(budget: number): number {
  return Math.max(64, budget * 16);
}

const SPACE = /\s/;
const isSpace = (text: string, i: number) => SPACE.test(text[i]!);

/** Cuts before `end` without splitting a surrogate pair. */
function safeEnd(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/**
 * The words of `text` from its start, each with the whitespace that follows it (leading whitespace
 * joins the first word), so they join back into the text. A word longer than `maxChars` is cut to
 * its first `maxChars` characters and one space (leading whitespace dropped); a text of whitespace
 * alone, longer than `maxChars`, gives one cut word of one space.
 */
export function* words(text: string, maxChars: number): Generator<Word> {
  const segment = /\s*\S+\s*/y;
  let match = segment.exec(text);
  if (!match && text.length > maxChars) yield { text: ' ', cut: true };
  for (; match; match = segment.exec(text)) {
    const found = match[0];
    if (found.length <= maxChars) {
      yield { text: found, cut: false };
    } else {
      // A space keeps the cut word apart from the next one when words are joined.
      const word = found.trimStart();
      yield { text: `${word.slice(0, safeEnd(word, Math.min(word.length, maxChars)))} `, cut: true };
    }
  }
}

/**
 * The words of `text` from its end, as `words` splits them. A word longer than `maxChars` is cut to
 * its last `maxChars` characters and ends the walk (nothing before it can fit next to it).
 */
export function* lastWords(text: string, maxChars: number): Generator<Word> {
  let end = text.length;
  while (end > 0) {
    let start = end;
    while (start > 0 && end - start <= maxChars && isSpace(text, start - 1)) start--;
    while (start > 0 && end - start <= maxChars && !isSpace(text, start - 1)) start--;
    if (end - start > maxChars) {
      const from = end - maxChars;
      const code = text.charCodeAt(from);
      yield { text: text.slice(code >= 0xdc00 && code <= 0xdfff ? from + 1 : from), cut: true };
      return;
    }
    // Leading whitespace belongs to the first word.
    let before = start;
    while (before > 0 && start - before <= maxChars && isSpace(text, before - 1)) before--;
    if (before === 0) start = 0;
    yield { text: text.slice(start, end), cut: false };
    end = start;
  }
}
