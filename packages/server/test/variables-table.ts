import { CONFIG_VARIABLES } from '@reranker/node';
import { flagFor } from '../src/cli';
import { SERVER_VARIABLES } from '../src/config';

interface Row {
  variable: string;
  aliases?: readonly string[];
  default: string | undefined;
  accepts: string;
  description: string;
}

/** A markdown table of variables, columns padded as the node package's README. */
export function variablesTable(rows: readonly Row[]): string {
  const cells = rows.map((row) => [
    [`\`${row.variable}\``, ...(row.aliases ?? []).map((a) => `(or \`${a}\`)`)].join(' '),
    `\`--${flagFor(row.variable)}\``,
    row.default === undefined || row.default === '(unset)' ? '(unset)' : `\`${row.default}\``,
    row.accepts,
    row.description,
  ]);
  const head = ['variable', 'flag', 'default', 'accepts', 'what it sets'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export const serverTable = () => variablesTable(SERVER_VARIABLES);
export const engineTable = () => variablesTable(CONFIG_VARIABLES);

// `pnpm --filter @reranker/server docs:variables` prints both tables for the README.
if (process.argv[1]?.endsWith('variables-table.ts')) {
  console.log(`${serverTable()}\n\n${engineTable()}`);
}
