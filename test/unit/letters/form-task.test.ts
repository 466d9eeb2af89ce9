import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, responsesCsv } from '../../../functions/domain/letters/form-tasks.js';
import { externalLink, taskStatus, validateAnswers, type Question } from '../../../functions/domain/letters/form-task.js';
import { ValidationError } from '../../../functions/shared/errors.js';

const questions: Question[] = [
  { id: 'q1', text: { nb: 'Tekst' }, type: 'text', required: true },
  { id: 'q2', text: { nb: 'Valg' }, type: 'choice', options: ['a', 'b'] },
  { id: 'q3', text: { nb: 'Skala' }, type: 'scale', min: 0, max: 10, required: true },
];

describe('answers are validated against the questions', () => {
  it('accepts answers of the right types and trims text', () => {
    expect(validateAnswers(questions, { q1: ' hei ', q2: 'b', q3: 10 })).toEqual({ q1: 'hei', q2: 'b', q3: 10 });
    expect(validateAnswers(questions, { q1: 'x', q3: 0 })).toEqual({ q1: 'x', q3: 0 });
  });

  it('refuses missing required, unknown questions, wrong types, options and ranges', () => {
    const fields = (answers: Record<string, unknown>) => {
      try {
        validateAnswers(questions, answers);
        return [];
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return ((e as ValidationError).details as { field: string }[]).map((d) => d.field).sort();
      }
    };
    expect(fields({ q3: 1 })).toEqual(['answers.q1']);
    expect(fields({ q1: '  ', q3: 1 })).toEqual(['answers.q1']);
    expect(fields({ q1: 'x', q3: 1, q9: 'x' })).toEqual(['answers.q9']);
    expect(fields({ q1: 3, q2: 'c', q3: 11 })).toEqual(['answers.q1', 'answers.q2', 'answers.q3']);
    expect(fields({ q1: 'x', q3: 2.5 })).toEqual(['answers.q3']);
    expect(fields({ q1: 'x', q3: '5' })).toEqual(['answers.q3']);
  });
});

describe('task status', () => {
  it('is answered, or expired after the deadline, else sent', () => {
    expect(taskStatus({ status: 'answered', deadline: '2000-01-01T00:00:00.000Z' }, '2030-01-01T00:00:00.000Z')).toBe('answered');
    expect(taskStatus({ status: 'sent', deadline: '2030-01-01T00:00:00.000Z' }, '2030-01-01T00:00:00.000Z')).toBe('expired');
    expect(taskStatus({ status: 'sent', deadline: '2030-01-02T00:00:00.000Z' }, '2030-01-01T00:00:00.000Z')).toBe('sent');
  });
});

describe('the external link', () => {
  it("appends the token and keeps the form's own query", () => {
    expect(externalLink('https://f.example.org/s?a=1', 'tok')).toBe('https://f.example.org/s?a=1&token=tok');
    expect(externalLink('https://f.example.org/s?token=evil', 'tok')).toBe('https://f.example.org/s?token=tok');
  });
});

describe('CSV export', () => {
  it('property: a cell that a spreadsheet would run as a formula starts with a quote mark', () => {
    fc.assert(
      fc.property(fc.constantFrom('=', '+', '-', '@', '\t', '\r'), fc.string({ maxLength: 20 }), (lead, rest) => {
        const cell = csvCell(lead + rest);
        const unquoted = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
        expect(unquoted.startsWith(`'${lead}`)).toBe(true);
      }),
    );
  });

  it('property: any row survives a round trip through RFC 4180 quoting', () => {
    const parse = (line: string): string[] => {
      const out: string[] = [];
      let cur = '';
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        const c = line[i]!;
        if (quoted) {
          if (c === '"' && line[i + 1] === '"') {
            cur += '"';
            i++;
          } else if (c === '"') quoted = false;
          else cur += c;
        } else if (c === '"') quoted = true;
        else if (c === ',') {
          out.push(cur);
          cur = '';
        } else cur += c;
      }
      out.push(cur);
      return out;
    };
    const safe = fc.string({ maxLength: 15 }).filter((s) => !/^[=+\-@\t\r]/.test(s) && !/[\r\n]/.test(s));
    fc.assert(
      fc.property(fc.array(safe, { minLength: 1, maxLength: 5 }), (cells) => {
        expect(parse(cells.map(csvCell).join(','))).toEqual(cells);
      }),
    );
  });

  it('has a column per question, in question order', () => {
    const csv = responsesCsv({ projectId: 'p', formTaskId: 'f', title: 't', form: { type: 'internal', questions }, deadlineDays: 30, createdBy: 'ola', createdAt: 'x' }, [
      { projectId: 'p', formTaskId: 'f', recipient: 'r1', language: 'nb', answeredAt: '2030-01-01T00:00:00.000Z', answers: { q3: -1, q1: 'a,b' } },
    ]);
    expect(csv).toBe('recipient,answeredAt,language,q1,q2,q3\r\nr1,2030-01-01T00:00:00.000Z,nb,"a,b",,\'-1\r\n');
  });
});
