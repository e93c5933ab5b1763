import { commonEnglishWords } from '../vocab';

/**
 * The pre-tokenizer split of Qwen2/Qwen3 `tokenizer.json` (a `Split` with `Isolated` behaviour before
 * `ByteLevel`), as the file stores it: contractions, letter runs with one leading non-letter, single
 * digits, punctuation runs, newlines, whitespace.
 */
export const QWEN_SPLIT_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// JavaScript has no inline `(?i:...)` group on Node 20; the same alternatives with explicit cases.
const SPLIT = new RegExp(
  QWEN_SPLIT_REGEX.replace(
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)",
    "'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])",
  ),
  'gu',
);

/**
 * GPT-2's byte-to-character table that ByteLevel uses: printable Latin-1 bytes stand for themselves,
 * the other 68 bytes take the characters from U+0100 on, in byte order (so a space is `Ġ`).
 */
export function byteToUnicode(): string[] {
  const table: string[] = [];
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    table.push(String.fromCodePoint(printable ? byte : next++));
  }
  return table;
}

const BYTE_CHARS = byteToUnicode();
const encoder = new TextEncoder();

/** A text split as the pre-tokenizer does, each piece written in ByteLevel characters. */
export function byteLevelPieces(text: string): string[] {
  return (text.match(SPLIT) ?? []).map((piece) =>
    Array.from(encoder.encode(piece.normalize('NFC')), (b) => BYTE_CHARS[b]!).join(''),
  );
}

export interface BpeVocabulary {
  /** Tokens in id order: the 256 byte characters, then one token per merge, then unreachable fillers. */
  tokens: string[];
  /** Merge rules in priority order. */
  merges: [string, string][];
}

/**
 * Trains a byte-level BPE the standard way (merge the most frequent adjacent pair of a weighted word
 * list until the budget is spent) on `texts` (weighted heavily: the prompt words and `yes`/`no` end
 * up single tokens) and the most common English words with and without a leading space. A merged
 * vocabulary is trained here instead of borrowed because the real one (151k tokens) cannot be
 * shipped or downloaded; training keeps it self-consistent, so the trained words encode as trained.
 * If training runs out of pairs before `size`, the rest is filled with two-character tokens no merge
 * produces (so they never change a tokenization), keeping the ids dense as in the real file.
 * Deterministic: no randomness, ties broken by the pair's text.
 */
export function trainByteLevelBpe(
  size: number,
  texts: readonly string[],
  englishWords: number,
): BpeVocabulary {
  if (size < 256) throw new Error(`a byte-level vocabulary needs at least 256 tokens, got ${size}`);
  const counts = new Map<string, number>();
  const addText = (text: string, weight: number) => {
    for (const piece of byteLevelPieces(text)) counts.set(piece, (counts.get(piece) ?? 0) + weight);
  };
  for (const text of texts) addText(text, 10_000);
  const words = commonEnglishWords(englishWords);
  words.forEach((word, rank) => {
    const weight = words.length - rank;
    addText(` ${word}`, 3 * weight);
    addText(word, weight);
    addText(` ${word[0]!.toUpperCase()}${word.slice(1)}`, weight);
  });

  const tokens = [...BYTE_CHARS];
  const known = new Set(tokens);
  const merges: [string, string][] = [];
  const corpus = [...counts].map(([piece, count]) => ({ symbols: Array.from(piece), count }));
  const pairs = new PairCounts();
  for (const [index, word] of corpus.entries()) pairs.addWord(word.symbols, word.count, index);
  while (tokens.length < size) {
    const best = pairs.popBest();
    if (best === undefined) break;
    const [left, right] = best;
    const merged = left + right;
    merges.push([left, right]);
    if (!known.has(merged)) {
      tokens.push(merged);
      known.add(merged);
    }
    for (const index of pairs.wordsWith(left, right)) {
      const word = corpus[index]!;
      pairs.addWord(word.symbols, -word.count, index);
      word.symbols = mergePair(word.symbols, left, right);
      pairs.addWord(word.symbols, word.count, index);
    }
  }
  fillUnreachable(tokens, known, size);
  return { tokens, merges };
}

/**
 * Weighted counts of adjacent pairs with the words holding each, and a max-heap (count, then the
 * pair's text) with lazy deletion, so each merge touches only the words that contain its pair.
 */
class PairCounts {
  private readonly counts = new Map<string, number>();
  private readonly words = new Map<string, Set<number>>();
  private readonly heap: [number, string][] = [];

  addWord(symbols: readonly string[], weight: number, index: number): void {
    for (let i = 0; i + 1 < symbols.length; i++) {
      // Symbols never contain a space (a space is `Ġ` in ByteLevel characters), so keys split cleanly.
      const key = `${symbols[i]} ${symbols[i + 1]}`;
      const count = (this.counts.get(key) ?? 0) + weight;
      this.counts.set(key, count);
      // Pushed on every change: the heap drops entries whose count is no longer current.
      if (count > 0) this.push([count, key]);
      if (weight > 0) {
        const holders = this.words.get(key) ?? new Set<number>();
        holders.add(index);
        this.words.set(key, holders);
      }
    }
  }

  wordsWith(left: string, right: string): number[] {
    const key = `${left} ${right}`;
    const holders = [...(this.words.get(key) ?? [])];
    this.words.delete(key);
    return holders;
  }

  popBest(): [string, string] | undefined {
    for (;;) {
      const top = this.pop();
      if (!top) return undefined;
      const [count, key] = top;
      if (count > 0 && this.counts.get(key) === count) {
        return key.split(' ') as [string, string];
      }
    }
  }

  private before(a: [number, string], b: [number, string]): boolean {
    return a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
  }

  private push(entry: [number, string]): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): [number, string] | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < heap.length && this.before(heap[l]!, heap[best]!)) best = l;
        if (r < heap.length && this.before(heap[r]!, heap[best]!)) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best]!, heap[i]!];
        i = best;
      }
    }
    return top;
  }
}

function mergePair(symbols: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else out.push(symbols[i]!);
  }
  return out;
}

/** Pads the vocabulary to `size` with byte-character pairs, then triples, that no merge can reach. */
function fillUnreachable(tokens: string[], known: Set<string>, size: number): void {
  for (const length of [2, 3]) {
    const indices = new Array<number>(length).fill(0);
    for (;;) {
      if (tokens.length >= size) return;
      const token = indices.map((i) => BYTE_CHARS[i]!).join('');
      if (!known.has(token)) {
        tokens.push(token);
        known.add(token);
      }
      let k = length - 1;
      while (k >= 0 && ++indices[k]! === 256) indices[k--] = 0;
      if (k < 0) break;
    }
  }
  if (tokens.length < size) throw new Error(`cannot fill a byte-level vocabulary of ${size} tokens`);
}
