import { readFile } from 'node:fs/promises';
import {
  errorMessage,
  isRerankerError,
  RerankerError,
  validateTemplate,
  type YesNoRerankerTemplate,
} from '@reranker/core';

const FIELDS = ['name', 'prefix', 'body', 'suffix', 'labels', 'defaultInstruction'] as const;

/**
 * Reads a yes/no prompt template from a JSON file (`RERANKER_TEMPLATE_FILE`): an object with exactly
 * core's `YesNoRerankerTemplate` fields. Throws INVALID_CONFIG naming the variable and the file when
 * it cannot be read, is not JSON, or is not a valid template (an unknown field is refused, since a
 * misspelt field would otherwise be silently ignored).
 */
export async function readTemplateFile(
  path: string,
  variable = 'RERANKER_TEMPLATE_FILE',
): Promise<YesNoRerankerTemplate> {
  const fail = (why: string, cause?: unknown): never => {
    throw new RerankerError('INVALID_CONFIG', `${variable}=${path}: ${why}`, {
      details: { variable, file: path },
      ...(cause !== undefined && { cause }),
    });
  };
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    fail(`the file cannot be read (${errorMessage(error)}).`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`the file is not JSON (${errorMessage(error)}).`, error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(`the file must hold one JSON object with the fields ${FIELDS.join(', ')}.`);
  }
  const unknown = Object.keys(parsed as object).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    fail(
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; a template has ${FIELDS.join(', ')}.`,
    );
  }
  const template = parsed as YesNoRerankerTemplate;
  try {
    validateTemplate(template);
  } catch (error) {
    fail(errorMessage(error), error);
  }
  return template;
}

/**
 * Core refuses an instruction or template for a cross-encoder (INVALID_CONFIG with `details.option`);
 * when the value came from the environment, the error names the variable to unset.
 */
export function explainLlmOption(
  error: unknown,
  fromEnv: { instruction: boolean; template: boolean },
): unknown {
  if (!isRerankerError(error) || error.code !== 'INVALID_CONFIG') return error;
  const option = error.details?.option;
  const variable =
    option === 'instruction' && fromEnv.instruction
      ? 'RERANKER_INSTRUCTION'
      : option === 'template' && fromEnv.template
        ? 'RERANKER_TEMPLATE_FILE'
        : undefined;
  if (variable === undefined) return error;
  return new RerankerError('INVALID_CONFIG', `${variable} is set, but ${error.message} Unset ${variable}.`, {
    details: { ...error.details, variable },
    cause: error,
  });
}
