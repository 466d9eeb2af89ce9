import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawAdapters } from '../../../functions/adapters/index.js';
import { OPERATIONS_SCOPE } from '../../../functions/domain/shared/audit.js';
import { citizenKey, globalCitizenKey, parseKeyring, projectPseudonym } from '../../../functions/domain/shared/citizen-key.js';
import { logger } from '../../../functions/shared/logger.js';
import { startTestPlatform, type ApiClient, type ApiResponse, type Identity, type TestPlatform } from '../../setup/platform.js';
import { approvedProject, createRound, roundOf, sumOfCounts, syntheticNins, waitFor, type ApprovedProject } from '../dispatch/flow.js';

/**
 * Privacy: a full round — create, upload a list of 200 synthetic IDs with invalid rows,
 * reservations, withdrawals, release, completion, complaint lookups and error cases — with
 * everything the platform logs (the handlers, pollers and workers run in this process) and every
 * URL, response and error body captured. None of the list's national IDs may appear in any of
 * them, and the audit refers to citizens by keyed hash only.
 */
const logged: string[] = [];
const urls: string[] = [];
const responses: { url: string; status: number; text: string; citizen: boolean }[] = [];

let p: TestPlatform;
const spies: { mockRestore(): void }[] = [];
beforeAll(async () => {
  // Capture before the platform starts, so its start-up logging is included.
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    spies.push(
      vi.spyOn(stream, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
        logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }),
    );
  }
  p = await startTestPlatform();
  // Every client the test and the flow helpers make records its URLs and answers.
  const as = p.as.bind(p);
  p.as = (id: Identity): ApiClient => {
    const c = as(id);
    const record =
      (method: 'get' | 'post' | 'put' | 'delete') =>
      async (path: string, body?: unknown, contentType?: string): Promise<ApiResponse> => {
        urls.push(`${p.url}${path}`);
        const res = await (c[method] as (path: string, body?: unknown, contentType?: string) => Promise<ApiResponse>)(path, body, contentType);
        responses.push({ url: path, status: res.status, text: res.text, citizen: id.role === 'citizen' });
        return res;
      };
    return { get: record('get'), post: record('post'), put: record('put'), delete: record('delete') };
  };
});
afterAll(async () => {
  await p?.stop();
  for (const s of spies) s.mockRestore();
});

const listNins = syntheticNins(200, 50_000);
/** The same people, written the ways a spreadsheet and a careless hand write them. */
const variants = (nin: string) => [nin, `${nin.slice(0, 6)} ${nin.slice(6)}`, `${nin.slice(0, 6)}-${nin.slice(6)}`];
/** Wrong check digit: not a valid ID, but personal data all the same if it leaked. */
const mistyped = (nin: string) => `${nin.slice(0, 10)}${(Number(nin[10]) + 1) % 10}`;
const invalidRows = listNins.slice(190, 200).map(mistyped);
const allIds = [...listNins, ...invalidRows];

const leaksIn = (text: string): string[] => allIds.filter((nin) => variants(nin).some((v) => text.includes(v)));

describe('a full round leaves no national ID in logs, URLs, error bodies or the audit', () => {
  let a: ApprovedProject;
  let roundId = '';
  const reserved = listNins.slice(0, 10);
  const withdrawn = listNins.slice(10, 15);
  const deceased = listNins.slice(15, 18);

  it('runs the round: reservations, withdrawals, a list with invalid rows, release, completion', async () => {
    a = await approvedProject(p, 'uio', { title: 'Personvernstudien' });
    expect((await a.operations.put('/registry/reservations', { nins: reserved, reserved: true })).status).toBe(200);
    expect((await a.operations.put('/registry/population', { nins: deceased, deceased: true })).status).toBe(200);
    for (const nin of withdrawn) expect((await p.as({ sub: nin, role: 'citizen' }).post(`/citizen/projects/${a.projectId}/withdraw`)).status).toBe(200);
    // A citizen sets and reads their own reservation (their own record: the only place their ID is the key).
    const own = p.as({ sub: listNins[20]!, role: 'citizen' });
    expect((await own.put('/citizen/reservations/research')).status).toBe(200);
    expect((await own.get('/citizen/reservations')).status).toBe(200);
    expect((await own.delete('/citizen/reservations/research')).status).toBe(200);

    const rows = [
      'nin,name,language',
      ...listNins.slice(0, 190).map((nin, i) => `${i % 3 === 0 ? `${nin.slice(0, 6)} ${nin.slice(6)}` : nin},Navn ${i},${i % 2 ? 'nb' : 'nn'}`),
      ...invalidRows.map((nin) => `${nin},Feil,nb`),
      `${listNins[5]},Duplikat,nb`,
      `${listNins[30]},=HYPERLINK("x"),nb`,
      `${listNins[31]!.slice(1)},Ti siffer,nb`,
      `${listNins[32]},Språk,xx`,
    ];
    const upload = await a.researcher.post(`/projects/${a.projectId}/recipient-lists`, `${rows.join('\n')}\n`, 'text/csv');
    expect(upload.status, upload.text).toBe(201);
    expect(upload.body.rejected.length).toBeGreaterThanOrEqual(invalidRows.length + 2 - 1);
    expect(upload.body.duplicatesInList).toBeGreaterThanOrEqual(1);
    const json = await a.researcher.post(`/projects/${a.projectId}/recipient-lists`, {
      recipients: [...listNins.slice(190).map((nin) => ({ nin })), ...invalidRows.slice(0, 3).map((nin) => ({ nin }))],
    });
    expect(json.status, json.text).toBe(201);
    expect(json.body.rejected).toHaveLength(3);

    const list = await a.researcher.get(`/projects/${a.projectId}/recipient-lists/${upload.body.listId}`);
    expect(list.status).toBe(200);
    const round = await createRound(a, upload.body.listId);
    roundId = round.roundId;
    expect(round.preflight.reserved).toBe(10);
    const released = await a.researcher.post(`/projects/${a.projectId}/rounds/${roundId}/release`);
    expect(released.status, released.text).toBe(202);
    const done = await waitFor(
      () => roundOf(a, roundId),
      (r) => r.status === 'completed',
    );
    expect(sumOfCounts(done.counts)).toBe(done.counts.planned);
    expect(done.counts.sent).toBeGreaterThan(100);
    expect(done.counts.skippedReserved).toBe(10);
    expect(done.counts.skippedWithdrawn).toBe(5);

    const inbox = await p.as({ sub: listNins[100]!, role: 'citizen' }).get('/citizen/inbox');
    expect(inbox.body.items).toHaveLength(1);
    await a.researcher.get(`/projects/${a.projectId}/rounds`);
    await a.operations.get('/operations/status');
  });

  it('answers complaint lookups and error cases without echoing an ID', async () => {
    for (const nin of [listNins[0]!, listNins[12]!, listNins[100]!, listNins[16]!]) {
      const res = await a.operations.post('/operations/contacts/lookup', { nin });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThan(0);
    }
    const errors: ApiResponse[] = [
      await a.operations.post('/operations/contacts/lookup', { nin: `${listNins[40]}9` }),
      await a.operations.post('/operations/contacts/lookup', { nin: listNins[41], extra: listNins[42] }),
      await a.operations.put('/registry/reservations', { nins: [listNins[43], invalidRows[0]], reserved: true }),
      await a.operations.put('/registry/population', { nins: [invalidRows[1]], language: 'klingon' }),
      // A test send goes to synthetic test persons only; these are (synthetic) list IDs mistyped.
      await a.researcher.post(`/projects/${a.projectId}/letters/${a.letterId}/test-send`, { nins: [invalidRows[2], invalidRows[3]] }),
      await a.researcher.post(`/projects/${a.projectId}/recipient-lists`, { recipients: listNins[44] }),
      await a.researcher.post(`/projects/${a.projectId}/recipient-lists`, `fnr\n${listNins[45]}\n`, 'application/xml'),
      await a.researcher.post(`/projects/${a.projectId}/recipient-lists`, `navn\n${listNins[46]}\n`, 'text/csv'),
      await a.researcher.post(`/projects/${a.projectId}/rounds`, { letterId: listNins[47], listId: listNins[48] }),
      await a.researcher.post(`/projects/${a.projectId}/members`, { sub: listNins[49] }),
      await p.as({ sub: invalidRows[4]!, role: 'citizen' }).get('/citizen/reservations'),
      await p.as({ sub: listNins[50]!, role: 'citizen' }).post(`/citizen/tasks/nope/answers`, { answers: { x: listNins[51] } }),
      await p.as({ sub: listNins[52]!, role: 'citizen' }).post(`/citizen/projects/prj_nope/withdraw`),
      await p.as({ sub: listNins[53]!, role: 'citizen' }).get(`/projects/${a.projectId}`),
    ];
    for (const res of errors) {
      expect(res.status, res.text).toBeGreaterThanOrEqual(400);
      expect(res.body?.error?.code, res.text).toBeTruthy();
    }
  });

  it('a link carrying an ID is flagged without the ID in the finding', async () => {
    const nin = syntheticNins(1, 59_000)[0]!;
    const letter = await a.researcher.post(`/projects/${a.projectId}/letters`, {
      title: 'Lenke',
      kind: 'letter',
      content: { nb: { subject: 'Lenke', body: `Se https://example.org/skjema?fnr=${nin} nå.` } },
    });
    expect(letter.status).toBe(201);
    const check = await a.researcher.post(`/projects/${a.projectId}/letters/${letter.body.letterId}/check`);
    expect(check.body.findings.map((f: { code: string }) => f.code)).toContain('PERSONAL_DATA_IN_LINK');
    expect(check.text).not.toContain(nin);
  });

  it("the project audit refers to citizens by the project's pseudonym only; the global keyed hash only in the operations trail", async () => {
    const audit = await a.researcher.get(`/projects/${a.projectId}/audit`);
    expect(audit.status).toBe(200);
    expect(leaksIn(audit.text)).toEqual([]);
    const key = p.env.CITIZEN_HASH_KEY!;
    const withdrawals = (audit.body.items ?? audit.body.events ?? audit.body) as { actor: string; action: string }[];
    const actors = withdrawals
      .filter((e) => e.action === 'citizen.withdrew')
      .map((e) => e.actor)
      .sort();
    expect(actors).toEqual(withdrawn.map((nin) => `citizen:${projectPseudonym(nin, a.projectId, parseKeyring(key))}`).sort());
    for (const nin of withdrawn) expect(audit.text).not.toContain(citizenKey(nin, key));
    // The operations trail (complaint lookups) is not behind an endpoint; read it through the port.
    const ops = await rawAdapters().audit.list(OPERATIONS_SCOPE);
    const lookups = ops.filter((e) => e.action === 'contacts.lookup');
    expect(lookups.length).toBeGreaterThanOrEqual(4);
    expect(lookups.map((e) => e.details.citizen)).toContain(globalCitizenKey(listNins[0]!, parseKeyring(key)));
    expect(leaksIn(JSON.stringify(ops))).toEqual([]);
  });

  it('logged something (so the capture works), and masked an ID handed to the logger', () => {
    logger.warn('privacy canary', { nin: listNins[0], nested: { deep: [`fnr ${listNins[1]}`] } });
    const all = logged.join('');
    expect(all).toContain('privacy canary');
    expect(all).toContain('[redacted-nin]');
    expect(responses.length).toBeGreaterThan(40);
    expect(responses.some((r) => r.status >= 400)).toBe(true);
  });

  it('no ID of the list appears in anything logged', () => {
    expect(leaksIn(logged.join(''))).toEqual([]);
  });

  it('no ID appears in any URL used', () => {
    expect(urls.length).toBeGreaterThan(40);
    expect(leaksIn(urls.join('\n'))).toEqual([]);
  });

  it('no ID appears in any error body, nor in any answer to staff', () => {
    for (const r of responses) {
      if (r.status >= 400 || !r.citizen) expect(leaksIn(r.text), `${r.status} ${r.url}: ${r.text.slice(0, 300)}`).toEqual([]);
    }
  });

  it('a citizen is not told their own ID back either (the portal knows it; the answers need not carry it)', () => {
    for (const r of responses.filter((x) => x.citizen)) expect(leaksIn(r.text), `${r.status} ${r.url}: ${r.text.slice(0, 300)}`).toEqual([]);
  });
});
