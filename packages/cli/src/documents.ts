import { RerankerError } from '@reranker/core';

const invalid = (message: string) => new RerankerError('INVALID_INPUT', message);

/** How stdin is read: lines of text, JSON lines, or one JSON array. */
export type InputFormat = 'text' | 'jsonl' | 'json';
export const INPUT_FORMATS = ['text', 'jsonl', 'json'] as const satisfies readonly InputFormat[];

/** One document to rank: the text the model reads and what is written back (the string or the object). */
export interface InputDocument {
  text: string;
  document: unknown;
}

export interface ParseOptions {
  /** Forced format; auto-detected when undefined. */
  format?: InputFormat;
  /** The key holding the text in JSON objects. @default 'text' */
  field?: string;
}

/**
 * The format of an input by its first non-blank character: `[` a JSON array, `{` JSON lines, anything
 * else lines of text. Predictable by design: a text file whose first line starts with `[` or `{` needs
 * `--input text`, and the error of a failed parse says so.
 */
export function detectFormat(input: string): InputFormat {
  const first = /\S/.exec(input)?.[0];
  return first === '[' ? 'json' : first === '{' ? 'jsonl' : 'text';
}

/** The documents of an input, in order; blank lines (and an input of only blanks) give none. */
export function parseDocuments(input: string, options: ParseOptions = {}): InputDocument[] {
  const detected = options.format === undefined;
  const format = options.format ?? detectFormat(input);
  if (format === 'text') {
    if (options.field !== undefined) {
      throw invalid(
        `--field applies to JSON input, but the input is read as lines of text${detected ? ' (it does not start with "{" or "[")' : ''}.`,
      );
    }
    return textLines(input);
  }
  const hint = detected
    ? ` (read as ${format === 'json' ? 'a JSON array' : 'JSON lines'} because it starts with "${format === 'json' ? '[' : '{'}"; use --input text for lines of text)`
    : '';
  const field = options.field ?? 'text';
  return format === 'jsonl' ? jsonLines(input, field, hint) : jsonArray(input, field, hint);
}

function lines(input: string): string[] {
  return input.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

function textLines(input: string): InputDocument[] {
  return lines(input)
    .filter((line) => line.trim() !== '')
    .map((line) => ({ text: line, document: line }));
}

function jsonLines(input: string, field: string, hint: string): InputDocument[] {
  const documents: InputDocument[] = [];
  lines(input).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const { message } = error as Error;
      // The detection hint only helps when the very first document fails: then it may not be JSON at all.
      const why = documents.length === 0 ? hint : '';
      throw invalid(`line ${i + 1}: invalid JSON: ${message}${why}`);
    }
    documents.push({ text: textOf(value, field, `line ${i + 1}`), document: value });
  });
  return documents;
}

function jsonArray(input: string, field: string, hint: string): InputDocument[] {
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch (error) {
    const message = (error as Error).message;
    throw invalid(`${whereInJson(input, message)}invalid JSON: ${message}${hint}`);
  }
  if (!Array.isArray(value)) throw invalid(`the input is JSON but not an array${hint}.`);
  return value.map((item, i) => ({ text: textOf(item, field, `element ${i}`), document: item }));
}

/** The text of one JSON document: a string, or the object's string `field`. */
function textOf(value: unknown, field: string, where: string): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const text = (value as Record<string, unknown>)[field];
    if (typeof text === 'string') return text;
    const got = text === undefined ? 'none' : describe(text);
    throw invalid(
      `${where}: the object has no string "${field}" field (got ${got}); pick the field to rank with --field.`,
    );
  }
  throw invalid(
    `${where}: expected a string or an object with a string "${field}" field, got ${describe(value)}.`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The offset of a JSON.parse error, when its message gives one (V8 says "at position N"). */
function errorOffset(message: string): number | undefined {
  const position = /position (\d+)/.exec(message)?.[1];
  return position === undefined ? undefined : Number(position);
}

/** `line N: ` of a JSON.parse error in the whole input, when known. */
function whereInJson(input: string, message: string): string {
  const offset = errorOffset(message);
  if (offset === undefined) return '';
  return `line ${input.slice(0, offset).split('\n').length}: `;
}
