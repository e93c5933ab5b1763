/**
 * A streaming pass over the raw bytes of a JSON body, before it is parsed: it finds the top-level keys
 * (which API a plain `/rerank` body speaks, even for bodies that are too large, undecodable or not
 * sent with a JSON type) and the first container nested deeper than the limit, with its path.
 *
 * Written here rather than taken from a streaming JSON parser because it must be cheap enough to run on
 * every request body: strings, the bulk of a rerank body, are skipped with `Buffer.indexOf` (native)
 * instead of character by character, nothing is allocated per value, and it keeps no stack of values,
 * so depth costs nothing but a counter (no recursion, no stack overflow). It does not validate: a
 * malformed body is left to `JSON.parse`, which runs only on bodies this pass accepted.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
/** Bytes of a key kept for field paths; longer keys are shown cut, with an ellipsis. */
const KEY_BYTES = 128;

interface Level {
  array: boolean;
  /** The key being read or last read (objects), or the index of the current item (arrays). */
  segment: string | number;
}

export class JsonScan {
  /** Keys of the top-level object (empty when the top level is not an object). */
  readonly topLevelKeys = new Set<string>();
  /** The path of the first container deeper than `maxDepth` (`''` for the top level), if any. */
  tooDeep: string | undefined;
  readonly #maxDepth: number;
  /** Open containers down to `maxDepth`; deeper ones are only counted. */
  readonly #levels: Level[] = [];
  #depth = 0;
  #inString = false;
  #escaped = false;
  #expectKey = false;
  /** Raw bytes of the key being read, when it is one. */
  #key: Buffer[] | undefined;
  #keyBytes = 0;

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  /** Feeds the next chunk of the body. */
  write(chunk: Buffer): void {
    let i = 0;
    const end = chunk.length;
    while (i < end) {
      if (this.#inString) {
        i = this.#string(chunk, i);
        continue;
      }
      const byte = chunk[i]!;
      i++;
      switch (byte) {
        case QUOTE:
          this.#inString = true;
          if (this.#expectKey && this.#depth <= this.#maxDepth) {
            this.#key = [];
            this.#keyBytes = 0;
          }
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          this.#open(byte === OPEN_ARRAY);
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          if (this.#depth > 0) {
            if (this.#depth <= this.#maxDepth) this.#levels.pop();
            this.#depth--;
          }
          this.#expectKey = false;
          break;
        case COMMA: {
          const level = this.#current();
          if (level?.array && typeof level.segment === 'number') level.segment++;
          this.#expectKey = level !== undefined && !level.array;
          break;
        }
        case 0x20:
        case 0x09:
        case 0x0a:
        case 0x0d:
          break; // whitespace changes nothing
        default:
          // `:`, numbers, true/false/null: a value follows or goes on.
          this.#expectKey = false;
      }
    }
  }

  /** The open container at the current depth, when it is within `maxDepth`. */
  #current(): Level | undefined {
    return this.#depth > 0 && this.#depth <= this.#maxDepth ? this.#levels[this.#depth - 1] : undefined;
  }

  #open(array: boolean): void {
    this.#depth++;
    this.#expectKey = !array;
    if (this.#depth <= this.#maxDepth) {
      this.#levels.push({ array, segment: array ? 0 : '' });
    } else if (this.tooDeep === undefined) {
      this.tooDeep = formatPath(this.#levels);
    }
  }

  /** Reads string bytes from `i`; returns where to go on. Skips to the next quote natively. */
  #string(chunk: Buffer, i: number): number {
    if (this.#escaped) {
      this.#escaped = false;
      this.#keepKey(chunk, i, i + 1);
      return i + 1;
    }
    const quote = chunk.indexOf(QUOTE, i);
    const stop = quote === -1 ? chunk.length : quote;
    // A run of backslashes before the stop: odd means the quote (or the next chunk's first byte) is escaped.
    let run = 0;
    while (stop - run - 1 >= i && chunk[stop - run - 1] === BACKSLASH) run++;
    if (quote === -1) {
      this.#keepKey(chunk, i, chunk.length);
      this.#escaped = run % 2 === 1;
      return chunk.length;
    }
    if (run % 2 === 1) {
      this.#keepKey(chunk, i, quote + 1);
      return quote + 1;
    }
    this.#keepKey(chunk, i, quote);
    this.#inString = false;
    this.#endKey();
    return quote + 1;
  }

  #keepKey(chunk: Buffer, from: number, to: number): void {
    if (!this.#key || this.#keyBytes > KEY_BYTES) return;
    const take = Math.min(to, from + KEY_BYTES + 1 - this.#keyBytes);
    this.#key.push(chunk.subarray(from, take));
    this.#keyBytes += take - from;
  }

  #endKey(): void {
    const raw = this.#key;
    if (!raw) return;
    this.#key = undefined;
    this.#expectKey = false;
    const key = decodeKey(Buffer.concat(raw), this.#keyBytes > KEY_BYTES);
    const level = this.#current();
    if (level) level.segment = key;
    if (this.#depth === 1 && key !== undefined) this.topLevelKeys.add(key);
  }
}

/** A key's text: escapes decoded; a cut key keeps its start and an ellipsis (it matches no name). */
function decodeKey(raw: Buffer, cut: boolean): string {
  const text = raw.toString('utf8');
  if (cut) return `${text.slice(0, KEY_BYTES)}…`;
  if (!raw.includes(BACKSLASH)) return text;
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text; // an invalid escape: JSON.parse will refuse the body anyway
  }
}

/** `documents[3].meta.tags`, as the error bodies name fields. */
function formatPath(levels: readonly Level[]): string {
  let path = '';
  for (const { array, segment } of levels) {
    if (array) path += `[${segment}]`;
    else path += path === '' ? String(segment) : `.${String(segment)}`;
  }
  return path;
}
