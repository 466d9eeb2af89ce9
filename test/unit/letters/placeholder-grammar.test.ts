import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFields, undeclaredPlaceholders } from '../../../console/src/format.js';
import { placeholdersIn } from '../../../functions/domain/letters/content.js';
import { createLetterBody } from '../../../functions/schemas/letters.js';

const nameChars = fc.constantFrom(...'aZ_9x{} -'.split(''));

describe('one placeholder grammar for the server and the console', () => {
  it('should accept in the console exactly the field names the API accepts', () => {
    fc.assert(
      fc.property(
        fc
          .string({ unit: nameChars, minLength: 1, maxLength: 70 })
          .map((s) => s.replace(/[\s{}]/g, ''))
          .filter((s) => s.length > 0),
        (name) => {
          const server = createLetterBody.shape.fields.unwrap().safeParse([name]).success;
          expect(parseFields(name).invalid.length === 0).toBe(server);
        },
      ),
    );
    expect(parseFields('a'.repeat(65)).invalid).toEqual(['a'.repeat(65)]);
  });

  it('should find in a text the same valid placeholders as the letter check does', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('{{', '}}', ' ', 'x', '_1', 'a'.repeat(64), 'Navn', '{{ klinikk }}')), { maxLength: 12 }), (parts) => {
        const body = parts.join('');
        const checked = [
          ...new Set(
            placeholdersIn(body)
              .filter((p) => p.valid)
              .map((p) => p.name),
          ),
        ];
        expect(undeclaredPlaceholders({ nb: { subject: '', body } }, [])).toEqual(checked);
      }),
    );
  });
});
