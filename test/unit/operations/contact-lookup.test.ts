import { describe, expect, it } from 'vitest';
import { lookupContacts } from '../../../functions/domain/dispatch/operations.js';
import type { ContactLedger, LedgerEntry } from '../../../functions/domain/dispatch/ports.js';
import type { AuditEvent, AuditLog } from '../../../functions/domain/shared/audit.js';
import type { Principal } from '../../../functions/shared/principal.js';
import { letterFingerprint } from '../../../functions/domain/letters/fingerprint.js';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import { footerInfoFor, renderLetter } from '../../../functions/domain/letters/render.js';
import type { Project } from '../../../functions/domain/projects/project.js';
import type { ProjectRepository } from '../../../functions/domain/projects/ports.js';
import type { RoundRepository } from '../../../functions/domain/rounds/ports.js';

const ops: Principal = { sub: 'ops-1', role: 'operations' };
const NIN = '01817212345';

const entry = (e: Partial<LedgerEntry>): LedgerEntry => ({
  nin: NIN,
  projectId: 'p1',
  roundId: 'r1',
  letterId: 'l1',
  version: 2,
  contentHash: 'sha256:aaa',
  at: '2026-03-29T00:30:00.000Z',
  outcome: 'sent',
  channel: 'helsenorge',
  ...e,
});

const version = {
  projectId: 'p1',
  letterId: 'l1',
  version: 2,
  kind: 'letter',
  title: 'Invitasjon',
  content: { nb: { subject: 'Invitasjon, {{fornavn}}', body: 'Hei {{fornavn}}! Vil du delta?' }, en: { subject: 'Invitation, {{fornavn}}', body: 'Hi {{fornavn}}!' } },
  fields: ['fornavn'],
  contentHash: 'sha256:aaa',
} as unknown as LetterVersion;
const project = { projectId: 'p1', title: 'Hjertestudien', organization: 'UiO', contact: 'post@uio.no' } as unknown as Project;
const rows = [
  { nin: '11111111111', fields: { fornavn: 'Per' } },
  { nin: NIN, fields: { fornavn: 'Kari' } },
];

const deps = (entries: LedgerEntry[], opts: { project?: Project } = {}) => {
  const events: AuditEvent[] = [];
  const ledger = { decisionsAbout: async () => entries } as unknown as ContactLedger;
  const audit = { append: async (_scope: string, e: AuditEvent) => void events.push(e) } as unknown as AuditLog;
  const rounds = { getRound: async () => ({ listId: 'lst' }) } as unknown as RoundRepository;
  const projects = { getProject: async () => opts.project ?? project } as unknown as ProjectRepository;
  const letters = { getVersion: async (_p: string, _l: string, v: number) => (v === 2 ? version : undefined) };
  const lists = { slice: async (_l: string, start: number, end: number) => rows.slice(start, end) };
  return { deps: { ledger, audit, rounds, projects, letters, lists }, events };
};

/** What the engine keeps when the letter leaves (compose.ts): the fingerprint of the letter as handed over. */
const fingerprintAsSent = (language: 'nb' | 'en', fields: Record<string, string>, taskLink?: string) =>
  letterFingerprint(renderLetter(version, language, fields, footerInfoFor(project), taskLink ? { taskLink } : {}), taskLink);

describe('the contact lookup (a citizen complaint)', () => {
  it('names the exact letter version the citizen received: letterId, version and contentHash, oldest first', async () => {
    const { deps: d } = deps([
      entry({ roundId: 'r2', letterId: 'l1', version: 3, contentHash: 'sha256:ccc', at: '2026-04-02T08:00:00.000Z' }),
      entry({ roundId: 'r1', outcome: 'skipped', reason: 'reserved', channel: undefined, at: '2026-03-01T08:00:00.000Z' }),
    ]);
    const items = await lookupContacts(d, ops, NIN, 'ref');
    expect(items).toEqual([
      { projectId: 'p1', roundId: 'r1', letterId: 'l1', version: 2, contentHash: 'sha256:aaa', at: '2026-03-01T08:00:00.000Z', outcome: 'skipped', reason: 'reserved' },
      { projectId: 'p1', roundId: 'r2', letterId: 'l1', version: 3, contentHash: 'sha256:ccc', at: '2026-04-02T08:00:00.000Z', outcome: 'sent', channel: 'helsenorge' },
    ]);
  });

  it('leaves out test sends, and the audit names the citizen only by reference', async () => {
    const { deps: d, events } = deps([entry({ test: true }), entry({ roundId: 'r3' })]);
    const items = await lookupContacts(d, ops, NIN, 'ref-hash');
    expect(items.map((i) => i.roundId)).toEqual(['r3']);
    expect(JSON.stringify(events)).not.toContain(NIN);
    expect(JSON.stringify(items)).not.toContain(NIN);
  });

  it('shows the letter as it was sent: rendered again from its version and the citizen’s row, and exact by its fingerprint', async () => {
    const { deps: d } = deps([entry({ row: 1, language: 'en', letterHash: fingerprintAsSent('en', { fornavn: 'Kari' }) })]);
    const [item] = await lookupContacts(d, ops, NIN, 'ref');
    expect(item!.letter).toMatchObject({ language: 'en', subject: 'Invitation, Kari', exact: true });
    expect(item!.letter!.body).toMatch(/^Hi Kari!\n\n--\n/);
  });

  it('says when what it shows is not exactly what left (here the project’s contact changed since)', async () => {
    const { deps: d } = deps([entry({ row: 1, language: 'nb', letterHash: fingerprintAsSent('nb', { fornavn: 'Kari' }) })], { project: { ...project, contact: 'ny@uio.no' } });
    const [item] = await lookupContacts(d, ops, NIN, 'ref');
    expect(item!.letter).toMatchObject({ subject: 'Invitasjon, Kari', exact: false });
  });

  it('never shows a personal form link (a credential), and its letter still matches', async () => {
    const link = 'https://skjema.example.no/f?t=SECRET-TOKEN';
    const formVersion = { ...version, kind: 'form-task', content: { nb: { subject: 'Skjema', body: 'Svar her: {{taskLink}}' } } } as unknown as LetterVersion;
    const hash = letterFingerprint(renderLetter(formVersion, 'nb', { fornavn: 'Kari' }, footerInfoFor(project), { taskLink: link }), link);
    const { deps: d } = deps([entry({ row: 1, language: 'nb', letterHash: hash })]);
    const [item] = await lookupContacts({ ...d, letters: { getVersion: async () => formVersion } }, ops, NIN, 'ref');
    expect(item!.letter).toMatchObject({ exact: true });
    expect(item!.letter!.body).toContain('[personlig lenke]');
    expect(JSON.stringify(item)).not.toContain('SECRET-TOKEN');
  });

  it('shows no letter when it cannot be the one sent: another person’s row, or an entry from before fingerprints', async () => {
    const { deps: d } = deps([entry({ row: 0, language: 'nb', letterHash: 'x' }), entry({ roundId: 'r9' })]);
    const items = await lookupContacts(d, ops, NIN, 'ref');
    expect(items.map((i) => i.letter)).toEqual([undefined, undefined]);
  });
});

describe('the contact lookup’s reads', () => {
  it('test_should_read_each_round_project_and_letter_version_once_per_lookup_however_many_decisions_name_it', async () => {
    // A guardian of three children in one round, and a reminder round of the same letter.
    const asSent = { row: 1, language: 'nb' as const, letterHash: fingerprintAsSent('nb', { fornavn: 'Kari' }) };
    const { deps: d } = deps([
      entry({ ...asSent, aboutChild: 'c1' }),
      entry({ ...asSent, aboutChild: 'c2' }),
      entry({ ...asSent, aboutChild: 'c3' }),
      entry({ ...asSent, roundId: 'r2', at: '2026-04-02T08:00:00.000Z' }),
    ]);
    const reads = { rounds: 0, projects: 0, versions: 0 };
    const counted = {
      ...d,
      rounds: { getRound: async (p: string, r: string) => (reads.rounds++, d.rounds.getRound(p, r)) } as unknown as RoundRepository,
      projects: { getProject: async (p: string) => (reads.projects++, d.projects.getProject(p)) } as unknown as ProjectRepository,
      letters: { getVersion: async (p: string, l: string, v: number) => (reads.versions++, d.letters.getVersion(p, l, v)) },
    };
    const items = await lookupContacts(counted, ops, NIN, 'ref');
    expect(items.filter((i) => i.letter)).toHaveLength(4);
    expect(reads).toEqual({ rounds: 2, projects: 1, versions: 1 });
  });
});
