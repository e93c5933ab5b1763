// Seeded English-like queries and passages, for the `table` workload and the `load` generator (and
// scripts/performance_test.sh through it). Words from a fixed list of common English words, so any
// tokenizer, WordPiece or SentencePiece, real or synthesized, encodes them.

/** The common English words every generated text is made of. */
export const WORDS = (
  'the of and to in is that for it as with was on be by this are from at or an have not but which they ' +
  'system model search data query result document user time performance network energy market water ' +
  'health policy research language memory server cache request response city history science music ' +
  'learning training engine ranking relevance answer question river mountain company product price ' +
  'computer software hardware storage battery solar climate weather ocean forest animal plant food ' +
  'medicine patient doctor school student teacher book library museum travel train flight hotel ' +
  'report study method analysis evidence theory process service customer support design build test ' +
  'improve reduce increase measure compare explain describe provide require include develop manage ' +
  'fast slow large small new old high low early late simple complex public private local global ' +
  'important common different similar modern ancient digital physical social economic natural human'
).split(' ');

const QUESTION_STARTS = ['how does', 'what is', 'why do', 'when did', 'which', 'where can', 'best way to'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function words(random: () => number, count: number): string[] {
  return Array.from({ length: count }, () => pick(random, WORDS));
}

function sentence(random: () => number): string {
  const text = words(random, 6 + Math.floor(random() * 9)).join(' ');
  return text[0]!.toUpperCase() + text.slice(1) + (random() < 0.1 ? '?' : '.');
}

/** A question of 4 to 9 words. `random` is a seeded generator such as testkit's `seededRandom`. */
export function makeQuery(random: () => number): string {
  return `${pick(random, QUESTION_STARTS)} ${words(random, 2 + Math.floor(random() * 5)).join(' ')}?`;
}

/** A passage of whole sentences, about `targetWords` words long (at least one sentence). */
export function makePassage(random: () => number, targetWords: number): string {
  const sentences: string[] = [];
  let count = 0;
  while (count < targetWords || sentences.length === 0) {
    const next = sentence(random);
    sentences.push(next);
    count += next.split(' ').length;
  }
  return sentences.join(' ');
}
