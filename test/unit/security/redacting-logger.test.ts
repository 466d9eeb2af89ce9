import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { logger } from '../../../functions/shared/logger.js';
import { REDACTED, redactDeep } from '../../../functions/shared/redact.js';

/**
 * The logger masks anything shaped like a national ID wherever it appears in a record: the
 * message, attributes at any depth and in keys, numbers, errors' messages and stacks.
 */
const [nin, other] = syntheticNins(2, 60_000) as [string, string];
const spaced = `${nin.slice(0, 6)} ${nin.slice(6)}`;
const dashed = `${nin.slice(0, 6)}-${nin.slice(6)}`;

let out: string[] = [];
beforeEach(() => {
  out = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

const printed = () => out.join('');
const expectClean = (text: string) => {
  for (const id of [nin, other, spaced, dashed, nin.slice(1)]) if (id.length === 11) expect(text).not.toContain(id);
  expect(text).not.toContain(nin);
  expect(text).not.toContain(other);
  expect(text).not.toContain(spaced);
  expect(text).not.toContain(dashed);
};

describe('the redacting logger', () => {
  it('masks IDs in the message, written plain, spaced or dashed', () => {
    logger.info(`sent to ${nin}, ${spaced} and ${dashed}`);
    expectClean(printed());
    expect(printed().split(REDACTED).length - 1).toBe(3);
  });

  it('masks IDs in nested attributes, arrays and keys', () => {
    logger.warn('batch', { recipient: { nin, list: [{ row: 3, value: `fnr=${other}` }] }, [nin]: 'as a key' });
    expectClean(printed());
    expect(printed()).toContain(REDACTED);
    expect(printed()).toContain('"row":3');
  });

  it('masks IDs nested deeper than the walker descends', () => {
    let deep: Record<string, unknown> = { nin };
    for (let i = 0; i < 20; i++) deep = { level: deep };
    logger.info('deep', { deep });
    expectClean(printed());
  });

  it('masks an ID logged as a number', () => {
    const numeric = syntheticNins(50, 60_100).find((n) => n[0] !== '0')!;
    logger.info('numeric', { nin: Number(numeric), list: [Number(numeric)], big: BigInt(numeric) });
    expect(printed()).not.toContain(numeric);
    expect(printed()).toContain(REDACTED);
  });

  it("masks IDs in an error's message and stack, logged as the error or as an attribute", () => {
    const error = new Error(`no reservation record for ${nin}`);
    logger.error('failed', error);
    logger.error('failed again', { error, cause: new TypeError(`bad ${other}`) });
    expectClean(printed());
    expect(printed()).toContain('no reservation record for');
    expect(printed()).toContain('stack');
  });

  it('masks IDs in appended persistent keys', () => {
    logger.appendKeys({ citizen: nin });
    try {
      logger.info('with keys');
    } finally {
      logger.removeKeys(['citizen']);
    }
    expectClean(printed());
  });

  it('leaves ordinary numbers and ids alone', () => {
    logger.info('counts', { planned: 30_000, roundId: 'rnd_0mwt6qotc55c2a441009a64fd', phone: '+47 22 33 44 55', ten: '1234567890', twelve: '123456789012' });
    const line = printed();
    expect(line).not.toContain(REDACTED);
    expect(line).toContain('30000');
    expect(line).toContain('1234567890');
    expect(line).toContain('123456789012');
  });

  it('redactDeep leaves no 11-digit run in any JSON-like value (property)', () => {
    const withIds = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(nin, other, spaced, `x${nin}y`),
        fc.string(),
        fc.integer(),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.oneof(fc.string(), fc.constant(nin)), tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(withIds, (v) => {
        const text = JSON.stringify(redactDeep(v)) ?? '';
        expect(text).not.toContain(nin);
        expect(text).not.toContain(other);
        expect(text).not.toContain(spaced);
      }),
      { numRuns: 200 },
    );
  });
});
