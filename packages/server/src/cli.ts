import { CONFIG_VARIABLES } from '@reranker/node';
import { Command } from 'commander';
import { SERVER_VARIABLES } from './config';
import { VERSION } from './version';

type Env = Record<string, string | undefined>;

/** A documented variable as --help shows it. */
interface FlagSpec {
  variable: string;
  default: string | undefined;
  accepts: string;
  description: string;
}

/** The flag of a variable: without the RERANKER_ prefix, lower-case, dashes (`RERANKER_MODEL` -> `--model`). */
export function flagFor(variable: string): string {
  return variable
    .replace(/^RERANKER_/, '')
    .toLowerCase()
    .replace(/_/g, '-');
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function allFlags(): FlagSpec[] {
  return [...SERVER_VARIABLES, ...CONFIG_VARIABLES.map((v) => ({ ...v, default: v.default ?? '(unset)' }))];
}

/**
 * Parses the command line: every server and engine variable has a flag (`--port 8001`, `--model
 * ./models/x`), and a flag wins over its variable. Returns the environment with the flags applied,
 * which both config loaders then read, so flags and variables share one validation.
 */
export function parseCommandLine(argv: readonly string[], env: Env = process.env): Env {
  const program = new Command('reranker-server')
    .description(
      'HTTP reranking service: native, Cohere v1/v2, Jina and Hugging Face TEI rerank APIs, health and metrics.\n' +
        'Every flag can also be set with the environment variable named in its help; flags win.',
    )
    .version(VERSION)
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false);
  const specs = allFlags();
  for (const spec of specs) {
    const flag = flagFor(spec.variable);
    const isBoolean = spec.accepts.startsWith('true or false');
    program.option(
      isBoolean ? `--${flag} [bool]` : `--${flag} <value>`,
      `${spec.description} [env ${spec.variable}; default ${spec.default ?? '(unset)'}; ${spec.accepts}]`,
    );
  }
  program.parse([...argv], { from: 'user' });
  const options = program.opts<Record<string, string | boolean | undefined>>();
  const merged: Env = { ...env };
  for (const spec of specs) {
    const value = options[camel(flagFor(spec.variable))];
    if (value !== undefined) merged[spec.variable] = value === true ? 'true' : String(value);
  }
  return merged;
}
