import { RerankerError } from '../errors';
import { fillSlots, type YesNoRerankerTemplate } from './yes-no-template';

/** Where the body is cut between the shared prefix and each document's row. */
export interface DocumentBoundary {
  /** The body before the cut, with its `{instruction}` and `{query}` slots (ends the shared prefix). */
  readonly head: string;
  /** Fixed body text between the cut and the document: it starts every row. */
  readonly lead: string;
  /** `whitespace`: the cut is before the whitespace preceding `{document}` (the cheapest cut); `line`: at the start of the document's line. */
  readonly at: 'whitespace' | 'line';
}

/**
 * Documents whose first characters could interact with the text before them in a tokenizer: letters,
 * whitespace, digits, punctuation, a newline, CJK, emoji, an added token, a contraction, empty.
 */
export const BOUNDARY_PROBE_DOCUMENTS: readonly string[] = [
  'Beijing is the capital',
  ' leading space',
  '  two spaces',
  '\tTab',
  '2024 was a year',
  '!? punctuation first',
  ':: colons',
  '>> quoted',
  '\nnew line first',
  '\r\nwindows line',
  '北京是中国的首都',
  '🙂 emoji first',
  "'s a contraction",
  '<|im_end|> added token',
  '\u0301 combining mark',
  '',
];

const PROBE_QUERIES = ['what is the capital', 'why?', 'in 2024', 'ends with space ', 'ends with line\n'];
const PROBE_INSTRUCTION = 'Given a query, find the passage';

/** `[text before the slot without its trailing whitespace, that whitespace, text after the slot]`. */
export function splitAtSlot(text: string, slot: string): [string, string, string] {
  const at = text.indexOf(slot);
  if (at < 0) throw new RerankerError('INVALID_CONFIG', `The template body has no ${slot} slot.`);
  const before = text.slice(0, at);
  const trimmed = before.replace(/\s+$/u, '');
  return [trimmed, before.slice(trimmed.length), text.slice(at + slot.length)];
}

/**
 * The cut for this template and tokenizer: before the whitespace that precedes `{document}` when the
 * ids of prefix + row equal the ids of the whole body for every probe, else at the start of the
 * document's line (rows then repeat that line's fixed text). Throws MODEL_LOAD_FAILED when neither cut
 * reproduces the body's ids. Byte-level BPE with the Qwen pre-tokenizer splits words before
 * whitespace, so the whitespace cut holds for every document there; the probes guard other tokenizers
 * and user templates.
 */
export function chooseDocumentBoundary(
  template: YesNoRerankerTemplate,
  encode: (text: string) => number[],
): DocumentBoundary {
  const [trimmed, whitespace] = splitAtSlot(template.body, '{document}');
  const candidates: DocumentBoundary[] = [{ head: trimmed, lead: whitespace, at: 'whitespace' }];
  const lineStart = trimmed.lastIndexOf('\n') + 1;
  const line = trimmed.slice(lineStart);
  if (lineStart > 0 && !/\{(instruction|query)\}/.test(line)) {
    candidates.push({ head: trimmed.slice(0, lineStart), lead: line + whitespace, at: 'line' });
  }
  const failures: string[] = [];
  for (const candidate of candidates) {
    const bad = firstMismatch(template, candidate, encode);
    if (bad === undefined) return candidate;
    failures.push(
      `${candidate.at} cut: document ${JSON.stringify(bad.document)}, query ${JSON.stringify(bad.query)}`,
    );
  }
  throw new RerankerError(
    'MODEL_LOAD_FAILED',
    `The template "${template.name}" cannot share a prefix across documents with this tokenizer: tokenizing the prefix and each document apart changes the ids (${failures.join('; ')}).`,
  );
}

function firstMismatch(
  template: YesNoRerankerTemplate,
  boundary: DocumentBoundary,
  encode: (text: string) => number[],
): { query: string; document: string } | undefined {
  for (const query of PROBE_QUERIES) {
    const values = { instruction: PROBE_INSTRUCTION, query };
    const head = encode(fillSlots(boundary.head, values));
    const whole = fillSlots(template.body.slice(0, -'{document}'.length), values);
    for (const document of BOUNDARY_PROBE_DOCUMENTS) {
      const split = [...head, ...encode(boundary.lead + document)];
      if (!sameIds(split, encode(whole + document))) return { query, document };
    }
  }
  return undefined;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
