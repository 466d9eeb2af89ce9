import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPARATION_CHUNK, PREPARE_INLINE_MAX } from '../../functions/domain/rounds/preparation.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';
import { approvedProject, syntheticNins, uploadList, waitFor } from './dispatch/flow.js';

/**
 * Issue 22, item 2: a round over a list above the inline limit is answered 202 `preparing`, its
 * pre-flight runs on the prepare queue in chunks, its progress shows, and it becomes `ready` with
 * the totals of the whole list. Release is refused while it prepares.
 */
const N = 12_500; // 13 chunks through the prepare queue, the last one short
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ env: { LOCAL_CHANNELS: 'stand-in' } });
});
afterAll(async () => {
  await p?.stop();
});

type View = {
  status: string;
  preflight: Record<'total' | 'eligible' | 'reserved' | 'withdrawn' | 'alreadySent' | 'invalid' | 'deceased' | 'notFound' | 'frequencyCapped' | 'notAwaitingAnswer', number>;
  preparation?: { checked: number; total: number };
  findings: { code: string }[];
};

describe('a round over a large list', () => {
  it('is prepared in the background: 202 preparing, progress, then ready with totals equal to the list rows', { timeout: 600_000 }, async () => {
    expect(N).toBeGreaterThan(PREPARE_INLINE_MAX);
    const a = await approvedProject(p, 'ous');
    const nins = syntheticNins(N, 300_000);
    const reserved = nins.filter((_, i) => i % 10 === 3);
    expect((await a.operations.put('/registry/reservations', { nins: reserved, reserved: true })).status).toBe(200);
    const listId = await uploadList(a, nins);

    const res = await a.researcher.post(`/projects/${a.projectId}/rounds`, { letterId: a.letterId, listId });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ roundId: expect.any(String), status: 'preparing' });
    const roundId = res.body.roundId as string;
    const url = `/projects/${a.projectId}/rounds/${roundId}`;

    // Release waits for the preparation (13 chunks through the registries' fakes take far longer than this call).
    const refused = await a.researcher.post(`${url}/release`);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.error.code).toBe('ROUND_NOT_READY');

    const seen: View[] = [];
    const done = await waitFor(
      async () => {
        const v = (await a.researcher.get(url)).body as View;
        seen.push(v);
        return v;
      },
      (v) => v.status !== 'preparing',
      540_000,
      200,
    );
    const preparing = seen.filter((v) => v.status === 'preparing');
    expect(preparing.length).toBeGreaterThan(0);
    // Chunks land in any order, the short last one too: what is checked is always a sum of whole
    // chunks (multiples of the chunk, plus the short one if it has landed), never less than before.
    let before = 0;
    for (const v of preparing) {
      expect(v.preparation!.total).toBe(N);
      expect([0, N % PREPARATION_CHUNK]).toContain(v.preparation!.checked % PREPARATION_CHUNK);
      expect(v.preparation!.checked).toBeLessThanOrEqual(N);
      expect(v.preparation!.checked).toBeGreaterThanOrEqual(before);
      before = v.preparation!.checked;
    }
    expect(done.status).toBe('ready');
    expect(done.preparation).toEqual({ checked: N, total: N });
    const pf = done.preflight;
    expect(pf.total).toBe(N);
    expect(pf.reserved).toBe(reserved.length);
    expect(pf.eligible + pf.reserved + pf.withdrawn + pf.alreadySent + pf.invalid + pf.deceased + pf.notFound + pf.frequencyCapped + pf.notAwaitingAnswer).toBe(N);
    expect(done.findings.map((f) => f.code)).not.toContain('DUPLICATE_ROUND');
  });
});
