/** The building blocks of the OpenAPI document (JSON Schema pieces and the error bodies). */
export type Schema = Record<string, unknown>;

export const num = { type: 'number' };
export const int = { type: 'integer' };
export const str = { type: 'string' };
export const obj = (properties: Schema, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
});
export const arr = (items: Schema): Schema => ({ type: 'array', items });

export const errorBodies = {
  native: obj({ error: obj({ code: str, message: str, field: str }, ['code', 'message']), detail: str }),
  tei: obj({
    error: str,
    error_type: {
      enum: ['Validation', 'Tokenizer', 'Backend', 'Overloaded', 'Unhealthy', 'Empty', 'Unauthorized'],
    },
  }),
  cohere: obj({ message: str, code: str, field: str }, ['message', 'code']),
};

/** A JSON response of `schema`. */
export function json(schema: Schema, description: string): Schema {
  return { description, content: { 'application/json': { schema } } };
}
