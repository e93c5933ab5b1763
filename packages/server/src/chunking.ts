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
  /** Chunks kept per document (the rest of a long document is not scored). */
  maxChunks: number;
  /** Tokens kept per document before chunking (Cohere v2's `max_tokens_per_doc`). @default Infinity */
  maxTokens?: number;
  count: TokenCounter;
}

export interface ChunkPlan {
  /** The texts to score: whole documents that fit, and chunks of the ones that do not. */
  texts: string[];
  /** For each text, the index of the document it came from. */
  owner: number[];
}

/**
 * Splits documents longer than one window into chunks of at most `budget` tokens at whitespace
 * boundaries (Cohere's `max_chunks_per_doc` / `max_tokens_per_doc`): a document's score is then its
 * best chunk's. Documents that fit are passed unchanged, so they score exactly as `rerank` scores them.
 * Token counts of words are summed, which WordPiece and Metaspace tokenizers make exact at spaces;
 * a single word longer than the budget becomes its own chunk and the engine cuts it.
 */
export function planChunks(documents: readonly string[], options: ChunkOptions): ChunkPlan {
  const count = memoize(options.count);
  const maxTokens = options.maxTokens ?? Number.POSITIVE_INFINITY;
  const plan: ChunkPlan = { texts: [], owner: [] };
  documents.forEach((doc, index) => {
    const chunks =
      count(doc) <= Math.min(options.budget, maxTokens) ? [doc] : split(doc, options, maxTokens, count);
    for (const chunk of chunks.length > 0 ? chunks : [doc]) {
      plan.texts.push(chunk);
      plan.owner.push(index);
    }
  });
  return plan;
}

function split(doc: string, options: ChunkOptions, maxTokens: number, count: TokenCounter): string[] {
  const chunks: string[] = [];
  let current = '';
  let currentTokens = 0;
  let total = 0;
  for (const segment of segments(doc)) {
    const tokens = count(segment);
    if (total + tokens > maxTokens && total > 0) break;
    total += tokens;
    if (currentTokens + tokens > options.budget && current !== '') {
      chunks.push(current.trim());
      if (chunks.length >= options.maxChunks) return chunks;
      current = '';
      currentTokens = 0;
    }
    current += segment;
    currentTokens += tokens;
  }
  if (current.trim() !== '' && chunks.length < options.maxChunks) chunks.push(current.trim());
  return chunks;
}

/**
 * The end of `text` that fits in `budget` tokens, cut at whitespace (TEI's
 * `truncation_direction: "left"`: the engine itself always keeps the beginning).
 */
export function keepTail(text: string, budget: number, counter: TokenCounter): string {
  const count = memoize(counter);
  if (count(text) <= budget) return text;
  const parts = segments(text);
  let tokens = 0;
  let start = parts.length;
  while (start > 0) {
    const next = count(parts[start - 1]!);
    if (tokens + next > budget) break;
    tokens += next;
    start--;
  }
  // A last word longer than the budget: keep it, the engine cuts it (from its end).
  if (start === parts.length) start = parts.length - 1;
  return parts.slice(start).join('').trim();
}

/** Words with the whitespace that follows them (leading whitespace joins the first word). */
function segments(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}

function memoize(count: TokenCounter): TokenCounter {
  const seen = new Map<string, number>();
  return (text) => {
    let tokens = seen.get(text);
    if (tokens === undefined) {
      tokens = count(text);
      seen.set(text, tokens);
    }
    return tokens;
  };
}
