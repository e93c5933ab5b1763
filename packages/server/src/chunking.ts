import { runSliced, type SliceClock } from '@reranker/core';
import { lastWords, longWordChars, words } from './words';

/** Counts a text's tokens as the model's tokenizer does, without special tokens. */
export type TokenCounter = (text: string) => number;

/** The model window facts chunking and truncation need (from the engine's `info()`). */
export interface TokenWindow {
  maxLength: number;
  maxQueryTokens: number;
  /** Special tokens the template adds to a pair: 3 for BERT (`[CLS] q [SEP] d [SEP]`), 4 for XLM-R. */
  pairSpecialTokens: number;
}

/** Tokens left for a passage next to `queryTokens` (the engine keeps at most `maxQueryTokens` of them). */
export function passageBudget(window: TokenWindow, queryTokens: number): number {
  return Math.max(
    1,
    window.maxLength - Math.min(queryTokens, window.maxQueryTokens) - window.pairSpecialTokens,
  );
}

export interface ChunkOptions {
  /** Tokens per chunk: what fits next to the query in one model window. */
  budget: number;
  /** Chunks kept per document (the rest of a long document is not read). */
  maxChunks: number;
  /** Tokens kept per document before chunking (Cohere v2's `max_tokens_per_doc`). @default Infinity */
  maxTokens?: number;
  /** Planning stops once more texts than this are planned (the caller refuses the request). @default Infinity */
  maxTexts?: number;
  count: TokenCounter;
  /** Stops planning at its next slice. */
  signal?: AbortSignal;
}

export interface ChunkPlan {
  /** The texts to score: whole documents that fit, and chunks of the ones that do not. */
  texts: string[];
  /** For each text, the index of the document it came from. */
  owner: number[];
}

/** Characters of words counted in one call: amortizes the tokenizer's cost per call. */
const PIECE_CHARS = 256;

/**
 * Splits documents longer than one window into chunks of at most `budget` tokens at whitespace
 * boundaries (Cohere's `max_chunks_per_doc` / `max_tokens_per_doc`): a document's score is then its
 * best chunk's. Documents that fit are passed unchanged, so they score exactly as `rerank` scores them.
 *
 * Runs on the engine's tokenization lane in slices (the event loop keeps serving meanwhile), reads a
 * document only as far as its chunks reach, and tokenizes each piece of text once: words are counted
 * a few hundred characters at a time, word by word only where a chunk ends. Token counts of words are
 * summed, which WordPiece and Metaspace tokenizers make exact at spaces. A single word longer than
 * the budget becomes its own chunk and the engine cuts it; one longer than `longWordChars(budget)`
 * characters is cut there first (the model could not see past its first window anyway).
 */
export function planChunks(documents: readonly string[], options: ChunkOptions): Promise<ChunkPlan> {
  const maxTexts = options.maxTexts ?? Number.POSITIVE_INFINITY;
  return runSliced(
    async (clock) => {
      const plan: ChunkPlan = { texts: [], owner: [] };
      for (let index = 0; index < documents.length && plan.texts.length <= maxTexts; index++) {
        for (const chunk of await chunkDocument(documents[index]!, options, clock)) {
          plan.texts.push(chunk);
          plan.owner.push(index);
        }
      }
      return plan;
    },
    { signal: options.signal },
  );
}

async function chunkDocument(doc: string, options: ChunkOptions, clock: SliceClock): Promise<string[]> {
  const { budget, maxChunks, count } = options;
  const maxTokens = options.maxTokens ?? Number.POSITIVE_INFINITY;
  const chunks: string[] = [];
  let current = '';
  let currentTokens = 0;
  let total = 0;
  let whole = true;
  const finish = () => {
    if (current.trim() !== '') chunks.push(current.trim());
    current = '';
    currentTokens = 0;
  };
  /** Adds one word; false once the document is done (maxTokens or maxChunks reached). */
  const addWord = (word: string, tokens: number): boolean => {
    if (total + tokens > maxTokens && total > 0) {
      finish();
      return false;
    }
    total += tokens;
    if (currentTokens + tokens > budget && current !== '') {
      finish();
      if (chunks.length >= maxChunks) return false;
    }
    current += word;
    currentTokens += tokens;
    return true;
  };
  /** Adds a piece of words at once when it fits in the current chunk, else word by word. */
  const addPiece = async (piece: readonly string[]): Promise<boolean> => {
    const text = piece.join('');
    const tokens = count(text);
    if (clock.due()) await clock.yieldTurn();
    if (currentTokens + tokens <= budget && total + tokens <= maxTokens) {
      current += text;
      currentTokens += tokens;
      total += tokens;
      return true;
    }
    whole = false;
    for (const word of piece) {
      if (!addWord(word, count(word))) return false;
      if (clock.due()) await clock.yieldTurn();
    }
    return true;
  };

  let piece: string[] = [];
  let pieceChars = 0;
  for (const word of words(doc, longWordChars(budget))) {
    if (word.cut) whole = false;
    piece.push(word.text);
    pieceChars += word.text.length;
    if (pieceChars < PIECE_CHARS) continue;
    if (!(await addPiece(piece))) return chunks;
    piece = [];
    pieceChars = 0;
  }
  if (piece.length > 0 && !(await addPiece(piece))) return chunks;
  if (whole) return [doc];
  finish();
  return chunks.length > 0 ? chunks : [''];
}

/**
 * The end of each text that fits in `budget` tokens, cut at whitespace (TEI's
 * `truncation_direction: "left"`: the engine itself always keeps the beginning). A last word longer
 * than the budget is kept (the engine cuts it), its last `longWordChars(budget)` characters at most.
 * Reads each text from its end, word by word, in slices on the tokenization lane.
 */
export function keepTails(
  texts: readonly string[],
  budget: number,
  count: TokenCounter,
  signal?: AbortSignal,
): Promise<string[]> {
  return runSliced(
    async (clock) => {
      const tails: string[] = [];
      for (const text of texts) tails.push(await keepTail(text, budget, count, clock));
      return tails;
    },
    { signal },
  );
}

async function keepTail(
  text: string,
  budget: number,
  count: TokenCounter,
  clock: SliceClock,
): Promise<string> {
  const kept: string[] = [];
  let tokens = 0;
  let whole = true;
  for (const word of lastWords(text, longWordChars(budget))) {
    const next = count(word.text);
    if (tokens + next > budget && kept.length > 0) {
      whole = false;
      break;
    }
    if (word.cut) whole = false;
    kept.push(word.text);
    tokens += next;
    if (clock.due()) await clock.yieldTurn();
  }
  return whole ? text : kept.reverse().join('').trim();
}
