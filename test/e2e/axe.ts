import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * Accessibility in every browser test (issue 27): axe-core, injected through the DevTools
 * protocol into the page as it is, checks the whole document (open dialogs included) and the test
 * fails on any moderate, serious or critical violation, naming the rule, the elements and how to
 * fix it. Minor findings are only written to test-artifacts/axe.jsonl for people to read (every
 * finding is).
 */
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

interface Violation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

const BLOCKING = new Set(['moderate', 'serious', 'critical']);

/** Runs axe-core on `page`; throws when it finds a moderate, serious or critical violation. `screen` names the screen in the message. */
export const expectAccessible = async (page: Page, screen: string): Promise<void> => {
  const cdp = await page.context().newCDPSession(page);
  try {
    const injected = await cdp.send('Runtime.evaluate', { expression: await AXE_SOURCE, returnByValue: true });
    if (injected.exceptionDetails) throw new Error(`axe-core could not be injected: ${injected.exceptionDetails.text}`);
    const run = await cdp.send('Runtime.evaluate', {
      expression: `axe.run(document, { resultTypes: ['violations'] }).then((r) => JSON.stringify(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }))))`,
      awaitPromise: true,
      returnByValue: true,
      timeout: 60_000,
    });
    if (run.exceptionDetails) throw new Error(`axe-core failed on ${screen}: ${run.exceptionDetails.exception?.description ?? run.exceptionDetails.text}`);
    const violations = JSON.parse(String(run.result.value)) as Violation[];
    await mkdir(ARTIFACTS, { recursive: true });
    await appendFile(join(ARTIFACTS, 'axe.jsonl'), `${JSON.stringify({ screen, violations: violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })) })}\n`);
    const blocking = violations.filter((v) => v.impact && BLOCKING.has(v.impact));
    if (blocking.length > 0) {
      const lines = blocking.map(
        (v) => `- [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`).join('\n')}`,
      );
      throw new Error(`axe-core: ${blocking.length} moderate, serious or critical accessibility violation(s) on ${screen}:\n${lines.join('\n')}`);
    }
  } finally {
    await cdp.detach().catch(() => undefined);
  }
};
