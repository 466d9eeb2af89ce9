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
  expect(res.status, res.text).toBe(201);
  return res.body as { roundId: string; status: string; preflight: Record<string, number> };
};

export type { Counts } from '../../../functions/domain/rounds/round.js';

export const roundOf = async (a: ApprovedProject, roundId: string) => {
  const res = await a.researcher.get(`/projects/${a.projectId}/rounds/${roundId}`);
  expect(res.status, res.text).toBe(200);
  return res.body as { status: string; counts: Counts; skipReasons?: Record<string, number> };
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

export const COUNT_FIELDS = ['sent', 'skippedReserved', 'skippedWithdrawn', 'skippedDuplicate', 'skippedOther', 'failed', 'cancelled', 'pending'] as const;
export const sumOfCounts = (c: Counts) => COUNT_FIELDS.reduce((s, k) => s + c[k], 0);

export { syntheticNins };
