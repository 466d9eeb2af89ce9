import type { z } from 'zod';
import { ValidationError } from '../../shared/errors.js';

/**
 * For action endpoints whose fields are all optional (approve): an empty body means "no fields",
 * anything else must match the schema. The route itself declares no body schema, so the shared
 * parser has already refused malformed JSON and foreign content types.
 */
export const optionalBody = <S extends z.ZodType>(schema: S, text: string): z.infer<S> => {
  const json: unknown = text.trim() === '' ? {} : JSON.parse(text);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(
      'The request is not valid',
      parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', code: i.code, message: i.message })),
    );
  }
  return parsed.data;
};
