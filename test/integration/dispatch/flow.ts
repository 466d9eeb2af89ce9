import { expect } from 'vitest';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import type { ApiClient, TestPlatform } from '../../setup/platform.js';
import { completeChecklist } from '../checklist.js';
import type { Counts } from '../../../functions/domain/rounds/round.js';

/** The people of one organisation, and a project taken through the quality gate to release-ready. */
export const people = (org: string) => ({
  researcher: { sub: `researcher@${org}`, role: 'researcher', org, name: 'Forsker' } as const,
  superuser: { sub: `superuser@${org}`, role: 'superuser', org, name: 'Superbruker' } as const,
  operations: { sub: 'operations@nhn', role: 'operations', name: 'Drift' } as const,
});

export interface ApprovedProject {
  readonly projectId: string;
  readonly letterId: string;
  readonly researcher: ApiClient;
  readonly superuser: ApiClient;
  readonly operations: ApiClient;
}

export const approvedProject = async (p: TestPlatform, org: string, opts: { body?: string; title?: string } = {}): Promise<ApprovedProject> => {
  const who = people(org);
  const researcher = p.as(who.researcher);
  const superuser = p.as(who.superuser);
  const project = await researcher.post('/projects', { title: opts.title ?? 'Hjertestudien', organization: org });
  expect(project.status, project.text).toBe(201);
  const projectId = project.body.projectId as string;
  const letter = await researcher.post(`/projects/${projectId}/letters`, {
    title: 'Invitasjon',
    kind: 'letter',
    content: {
      nb: { subject: 'Invitasjon til Hjertestudien', body: opts.body ?? 'Hei! Vi inviterer deg til å delta i Hjertestudien.' },
      nn: { subject: 'Invitasjon til Hjartestudien', body: 'Hei! Vi inviterer deg til å delta i Hjartestudien.' },
    },
  });
  expect(letter.status, letter.text).toBe(201);
  expect((await researcher.post(`/projects/${projectId}/submit`)).status).toBe(200);
  const approved = await superuser.post(`/projects/${projectId}/approve`, { comment: 'Godkjent', checklist: await completeChecklist(superuser, projectId) });
  expect(approved.status, approved.text).toBe(200);
  return { projectId, letterId: letter.body.letterId, researcher, superuser, operations: p.as(who.operations) };
};

export const uploadList = async (a: ApprovedProject, nins: readonly string[]): Promise<string> => {
  const csv = `nin\n${nins.join('\n')}\n`;
  const res = await a.researcher.post(`/projects/${a.projectId}/recipient-lists`, csv, 'text/csv');
  expect(res.status, res.text).toBe(201);
  expect(res.body.accepted).toBe(nins.length);
  return res.body.listId as string;
};

export const createRound = async (a: ApprovedProject, listId: string, extra: Record<string, unknown> = {}) => {
  const res = await a.researcher.post(`/projects/${a.projectId}/rounds`, { letterId: a.letterId, listId, ...extra });
  type Created = { roundId: string; status: string; preflight: Record<string, number> };
  // A large list is prepared in the background (202 preparing): wait until it is ready or held.
  if (res.status === 202) {
    const roundId = (res.body as { roundId: string }).roundId;
    return waitFor<Created>(
      async () => (await a.researcher.get(`/projects/${a.projectId}/rounds/${roundId}`)).body as Created,
      (r) => r.status !== 'preparing',
      600_000,
      250,
    );
  }
  expect(res.status, res.text).toBe(201);
  return res.body as Created;
};

export type { Counts } from '../../../functions/domain/rounds/round.js';

export const roundOf = async (a: ApprovedProject, roundId: string) => {
  const res = await a.researcher.get(`/projects/${a.projectId}/rounds/${roundId}`);
  expect(res.status, res.text).toBe(200);
  return res.body as { status: string; counts: Counts; skipReasons?: Record<string, number>; inDoubt?: number; failureReasons?: Record<string, number> };
};

export const waitFor = async <T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 120_000, every = 200): Promise<T> => {
  const deadline = Date.now() + ms;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, every));
    last = await read();
  }
  return last;
};

/**
 * Pauses the project mid-send and returns the confirmed answer (200, nothing in flight). API.md
 * answers 202 with the remaining `inFlight` when deliveries could not finish within 10 s: on a CI
 * machine running 150 files on two cores a wave has taken that long (175 in flight after 10 s).
 * The operator then asks again, and the pause is confirmed once a request sees it quiet; at most
 * three requests here, and each 202 must be the contract's.
 */
export const pauseConfirmed = async (client: ApiClient, projectId: string, reason: string) => {
  for (let asked = 1; ; asked++) {
    const res = await client.post(`/projects/${projectId}/pause`, { reason });
    if (res.status !== 202 || asked === 3) {
      expect(res.status, res.text).toBe(200);
      return res;
    }
    expect(res.body).toMatchObject({ status: 'paused', inFlight: expect.any(Number) });
    expect(res.body.inFlight).toBeGreaterThan(0);
    expect(res.body.pauseConfirmedAt).toBeUndefined();
  }
};

/** Releases the round now (202) and waits until it has completed: its view then. */
export const releaseAndComplete = async (a: ApprovedProject, roundId: string) => {
  const released = await a.researcher.post(`/projects/${a.projectId}/rounds/${roundId}/release`);
  expect(released.status, released.text).toBe(202);
  return waitFor(
    () => roundOf(a, roundId),
    (r) => r.status === 'completed',
    120_000,
    250,
  );
};

export const COUNT_FIELDS = ['sent', 'skippedReserved', 'skippedWithdrawn', 'skippedDuplicate', 'skippedOther', 'failed', 'cancelled', 'pending'] as const;
export const sumOfCounts = (c: Counts) => COUNT_FIELDS.reduce((s, k) => s + c[k], 0);

export { syntheticNins };

/**
 * Engine timings for the tests that kill workers, the store or the platform: a dead worker's batch
 * is taken over after 36 s instead of 60, with the deployed ratios kept — a whole channel timeout
 * fits in the first half of the lease less the commit's 2 s budget — and channel calls that may
 * take 15 s: two test files share two cores and one event loop holds platform and fakes, so a
 * call's answer can wait seconds; one cut off would be in doubt (ePROM) though nothing failed.
 */
export const RECOVERY_TIMINGS = { DISPATCH_LEASE_MS: '36000', DISPATCH_COMMIT_BUDGET_MS: '2000', CHANNEL_TIMEOUT_MS: '15000' } as const;

type RoundView = Awaited<ReturnType<typeof roundOf>>;

/**
 * After a worker, the store or the platform died mid-wave: every recipient is accounted for, no
 * citizen has two letters, every letter counted sent was delivered, and the only letters not
 * counted sent are ePROM hand-overs whose fate nobody could learn (`in_doubt`, INTEGRATIONS.md:
 * never sent again) — at most `inFlight` of them, the letters that can be in one wave at a time.
 */
export const expectEachAtMostOnce = (done: RoundView, nins: readonly string[], letters: ReadonlyMap<string, number>, inFlight: number) => {
  const why = JSON.stringify({ counts: done.counts, inDoubt: done.inDoubt, failureReasons: done.failureReasons });
  expect(sumOfCounts(done.counts), why).toBe(nins.length);
  expect(done.counts.pending, why).toBe(0);
  const inDoubt = done.inDoubt ?? 0;
  expect(done.counts.failed, why).toBe(inDoubt);
  expect(done.counts.sent + inDoubt, why).toBe(nins.length);
  expect(inDoubt, why).toBeLessThanOrEqual(inFlight);
  for (const nin of nins) expect(letters.get(nin) ?? 0).toBeLessThanOrEqual(1);
  expect(letters.size, why).toBeGreaterThanOrEqual(done.counts.sent);
};
