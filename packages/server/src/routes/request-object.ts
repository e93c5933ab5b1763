import { z } from 'zod';

const nullToAbsent = (value: unknown) => (value === null ? undefined : value);

/**
 * A request body schema in which an optional field sent as `null` means the field is absent (its
 * default applies). Clients generated from OpenAPI documents, `cohere-ai` among them, send every
 * optional field the caller left unset as `null`. Required fields still refuse `null`, and a field's
 * own errors stay as they are ("top_n must be a whole number"). The output type is the shape's.
 */
export function requestObject<Shape extends z.ZodRawShape>(shape: Shape): z.ZodObject<Shape> {
  const fields = Object.fromEntries(
    Object.entries(shape).map(([key, field]) => [
      key,
      z.safeParse(field, undefined).success ? z.preprocess(nullToAbsent, field) : field,
    ]),
  );
  // The preprocessed fields parse to the same output and accept the same input plus `null`.
  return z.object(fields) as unknown as z.ZodObject<Shape>;
}
