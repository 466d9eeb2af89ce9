import { describe, expect, it } from 'vitest';
import { chainEvent, EMPTY_HEAD, type AuditEvent, type ChainedAuditEvent } from '../../../functions/domain/shared/audit.js';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import { reportRows, roundApprovalReport } from '../../../functions/domain/rounds/report.js';
import type { RecipientOutcome } from '../../../functions/domain/rounds/round.js';

const scope = 'project:prj_r';
const chainOf = (events: AuditEvent[]): ChainedAuditEvent[] => {
  const out: ChainedAuditEvent[] = [];
  for (const e of events) out.push(chainEvent(scope, e, out.length ? { events: out.length, head: out.at(-1)!.hash } : EMPTY_HEAD));
  return out;
};
const ev = (at: string, actor: string, action: string, details: Record<string, unknown>): AuditEvent => ({ at, actor, role: 'superuser', action, details });
const version = (v: number, contentHash: string, approved: boolean): LetterVersion => ({
  projectId: 'prj_r',
  letterId: 'let_1',
  version: v,
  title: 'T',
  kind: 'letter',
  content: { nb: { subject: 's', body: 'b' } },
  contentHash,
  authoredBy: 'kari',
  createdAt: '2026-01-01T00:00:00.000Z',
  ...(approved ? { approval: { approvedBy: 'sara', approvedAt: '2026-01-02T00:00:00.000Z' } } : {}),
});

const events = chainOf([
  ev('2026-01-01T00:00:00.000Z', 'kari', 'letter.created', { letterId: 'let_1', version: 1, contentHash: 'h1' }),
  ev('2026-01-02T00:00:00.000Z', 'sara', 'letter.version_approved', { letterId: 'let_1', version: 1, contentHash: 'h1', via: 'project' }),
  ev('2026-01-03T00:00:00.000Z', 'kari', 'letter.version_created', { letterId: 'let_1', version: 2, contentHash: 'h2' }),
  { ...ev('2026-01-04T00:00:00.000Z', 'siri', 'letter.version_approved', { letterId: 'let_1', version: 2, contentHash: 'h2' }), actorName: 'Siri Superbruker' },
  ev('2026-01-04T00:00:00.000Z', 'siri', 'letter.version_approved', { letterId: 'let_other', version: 2, contentHash: 'hx' }),
  ev('2026-01-05T00:00:00.000Z', 'sara', 'round.overridden', { roundId: 'rnd_1', reason: 'new text, same people on purpose' }),
  { ...ev('2026-01-05T01:00:00.000Z', 'kari', 'round.released', { roundId: 'rnd_1', letterId: 'let_1', letterVersion: 2 }), actorName: 'Kari Forsker' },
  ev('2026-01-05T02:00:00.000Z', 'kari', 'round.released', { roundId: 'rnd_other' }),
  ev('2026-01-06T00:00:00.000Z', 'system', 'round.completed', { roundId: 'rnd_1' }),
  ev('2026-01-07T00:00:00.000Z', 'kari', 'project.member_added', { member: 'per' }),
]);
const versions = [version(1, 'h1', true), version(2, 'h2', true)];
const round = { roundId: 'rnd_1', letterId: 'let_1', letterVersion: 2, completedAt: '2026-01-06T00:00:00.000Z' };

describe('the approvals part of a round report', () => {
  it("lists who approved exactly the version the round sent, with its content hash, and the round's own decisions", () => {
    const r = roundApprovalReport(round, events, versions);
    // Each by the name their sign-in gave when they acted, where the audit recorded one.
    expect(r.approvals).toEqual([{ by: 'siri', byName: 'Siri Superbruker', at: '2026-01-04T00:00:00.000Z', version: 2, contentHash: 'h2' }]);
    expect(r.decisions).toEqual([
      { action: 'round.overridden', by: 'sara', at: '2026-01-05T00:00:00.000Z', reason: 'new text, same people on purpose' },
      { action: 'round.released', by: 'kari', byName: 'Kari Forsker', at: '2026-01-05T01:00:00.000Z' },
    ]);
    expect(r.findings).toEqual([]);
  });

  it('names the pauses and resumes of the project while the round was out, with who and why, and none from before its release or after its completion', () => {
    const withPauses = chainOf([
      ev('2026-01-04T00:00:00.000Z', 'siri', 'letter.version_approved', { letterId: 'let_1', version: 2, contentHash: 'h2' }),
      ev('2026-01-04T12:00:00.000Z', 'otto', 'project.paused', { reason: 'before release', statusBeforePause: 'approved' }),
      ev('2026-01-04T13:00:00.000Z', 'otto', 'project.resumed', { status: 'approved' }),
      ev('2026-01-05T01:00:00.000Z', 'kari', 'round.released', { roundId: 'rnd_1', letterId: 'let_1', letterVersion: 2 }),
      ev('2026-01-05T02:00:00.000Z', 'otto', 'project.paused', { reason: 'Feil i teksten', statusBeforePause: 'approved' }),
      ev('2026-01-05T03:00:00.000Z', 'otto', 'project.resumed', { status: 'approved' }),
      ev('2026-01-06T00:00:00.000Z', 'system', 'round.completed', { roundId: 'rnd_1' }),
      ev('2026-01-07T00:00:00.000Z', 'otto', 'project.paused', { reason: 'after completion', statusBeforePause: 'approved' }),
    ]);
    expect(roundApprovalReport(round, withPauses, versions).decisions).toEqual([
      { action: 'round.released', by: 'kari', at: '2026-01-05T01:00:00.000Z' },
      { action: 'project.paused', by: 'otto', at: '2026-01-05T02:00:00.000Z', reason: 'Feil i teksten' },
      { action: 'project.resumed', by: 'otto', at: '2026-01-05T03:00:00.000Z' },
    ]);
    // A round not released has no time out, so no pauses of its own.
    expect(roundApprovalReport({ ...round, roundId: 'rnd_never' }, withPauses, versions).decisions).toEqual([]);
  });

  it('anchors to the head sealed at completion, else to the last event at or before completion', () => {
    expect(roundApprovalReport(round, events, versions).auditHead).toBe(events[8]!.hash);
    expect(roundApprovalReport(round, events, versions, 'f'.repeat(64)).auditHead).toBe('f'.repeat(64));
    expect(roundApprovalReport({ ...round, completedAt: undefined }, events, versions).auditHead).toBe(events[9]!.hash);
    expect(roundApprovalReport(round, [], versions).auditHead).toBeNull();
  });

  it('does not count an approval of other content, and says when the stored approval has no audit record', () => {
    const forged = chainOf([ev('2026-01-04T00:00:00.000Z', 'siri', 'letter.version_approved', { letterId: 'let_1', version: 2, contentHash: 'not-h2' })]);
    const r = roundApprovalReport(round, forged, versions);
    expect(r.approvals).toEqual([]);
    expect(r.findings).toEqual([
      { code: 'APPROVAL_CONTENT_MISMATCH', version: 2 },
      { code: 'APPROVAL_NOT_IN_AUDIT', version: 2 },
    ]);
    expect(roundApprovalReport({ ...round, letterVersion: 9 }, events, versions).findings).toEqual([{ code: 'VERSION_NOT_FOUND', version: 9 }]);
  });
});

describe('the round report CSV a researcher can read', () => {
  const at = 1_790_000_000;
  const recipients = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => ({ nin: `nin-${x}` }));
  const outcomes: RecipientOutcome[] = [
    { kind: 'sent', channel: 'helsenorge', at },
    { kind: 'skipped', reason: 'reserved', at: at + 1 },
    { kind: 'skipped', reason: 'address_protected', at: at + 2 },
    { kind: 'failed', reason: 'channel_unavailable', channel: 'paper', at: at + 3 },
    { kind: 'sent', channel: 'paper', at: at + 4, guardians: 2 },
    { kind: 'pending', tries: 0 },
  ];
  // A pseudonym whose order is not the list's order.
  const pseudonym = (nin: string) => ({ 'nin-a': 'p5', 'nin-b': 'p2', 'nin-c': 'p4', 'nin-d': 'p1', 'nin-e': 'p6', 'nin-f': 'p3' })[nin]!;
  const rows = reportRows(recipients, (i) => outcomes[i]!, pseudonym);

  it('should hold only pseudonym, sent|not_sent and time: no reason, channel or guardian fact per person', () => {
    expect(rows[0]).toEqual(['recipient', 'outcome', 'at']);
    const flat = rows.flat().join(' ');
    for (const fact of ['reserved', 'address_protected', 'channel_unavailable', 'paper', 'helsenorge', 'pending', 'skipped', 'failed']) expect(flat).not.toContain(fact);
    expect(new Set(rows.slice(1).map((r) => r[1]))).toEqual(new Set(['sent', 'not_sent']));
  });

  it('should order rows by pseudonym, never by the uploaded list', () => {
    expect(rows.slice(1).map((r) => r[0])).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(rows.slice(1)).toEqual([
      ['p1', 'not_sent', ''],
      ['p2', 'not_sent', ''],
      ['p3', 'not_sent', ''],
      ['p4', 'not_sent', ''],
      ['p5', 'sent', new Date(at * 1000).toISOString()],
      ['p6', 'sent', new Date((at + 4) * 1000).toISOString()],
    ]);
  });
});
