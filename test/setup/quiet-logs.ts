import { beforeEach } from 'vitest';

/**
 * The platform runs inside the test worker and logs through Powertools, which writes straight to
 * process.stdout/stderr (not through console, so vitest's own console handling never sees it).
 * A green run used to print ~100 JSON lines; here each test's output is held back and written out
 * only if that test fails (together with what the file's setup logged before its first test).
 * The lines are still produced and still pass through any spy a test puts on the streams
 * (privacy.test.ts, redacting-logger.test.ts assert on them), so nothing is hidden from
 * assertions. RD_TEST_LOGS=1 shows everything as it happens. `npm start` does not load this file.
 */
if (!process.env.RD_TEST_LOGS) {
  type Write = (chunk: unknown, ...rest: unknown[]) => boolean;
  const MAX_HELD = 20_000;
  const held: { write: Write; chunk: unknown; rest: unknown[] }[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as Write;
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      held.push({ write: original, chunk, rest: rest.filter((r) => typeof r !== 'function') });
      if (held.length > MAX_HELD) held.shift();
      // Honour the write callback as a real stream would, after the write "completes".
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      if (callback) queueMicrotask(callback);
      return true;
    };
  }
  const flush = () => {
    for (const { write, chunk, rest } of held.splice(0)) write(chunk, ...rest);
  };
  let first = true;
  beforeEach(({ onTestFailed }) => {
    // What the previous test logged is no longer needed: it passed, or it was flushed when it failed.
    if (!first) held.length = 0;
    first = false;
    onTestFailed(flush);
  });
}
