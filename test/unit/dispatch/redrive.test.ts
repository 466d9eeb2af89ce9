import { describe, expect, it } from 'vitest';
import { redrive } from '../../../functions/domain/dispatch/operations.js';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import type { Project } from '../../../functions/domain/projects/project.js';
import type { ReleasedRound, Round } from '../../../functions/domain/rounds/round.js';
import type { RoundDeps } from '../../../functions/domain/rounds/ports.js';

/**
 * Redrive on in-memory fakes of the ports it reads: which rounds it reopens, which it refuses and
 * why. A round's failed recipients and those in doubt come from its progress counters.
 */
type Seed = { round: ReleasedRound; failed: number; inDoubt?: number; pending?: number };

const ops = { sub: 'ops', role: 'operations' as const };

const project = (projectId: string, status: Project['status']) =>
  ({
    projectId,
    title: 'T',
    organization: 'uio',
    purpose: 'research',
    status,
    allowedLinkDomains: [],
    settings: { frequencyCap: 3, distributionRule: 'helsenorge-then-paper', minors: 'exclude' },
  }) as unknown as Project;

const version = (projectId: string, letterId: string, v: number, approved: boolean, body = 'Hei, vil du være med i studien?'): LetterVersion =>
  ({
    projectId,
    letterId,
    version: v,
    title: 'Invitasjon',
    kind: 'letter',
    content: { nb: { subject: 'Invitasjon', body }, nn: { subject: 'Invitasjon', body } },
    contentHash: `hash-${letterId}-${v}-${body.length}`,
    authoredBy: 'kari',
    createdAt: '2026-01-01T00:00:00Z',
    ...(approved ? { approval: { by: 'sara', at: '2026-01-02T00:00:00Z', contentHash: `hash-${letterId}-${v}-${body.length}` } } : {}),
  }) as LetterVersion;

const round = (projectId: string, roundId: string, letterId: string, status: Round['status'], listId = `lst-${roundId}`): ReleasedRound =>
  ({
    projectId,
    roundId,
    letterId,
    letterVersion: 1,
    contentHash: `hash-${letterId}-1`,
    kind: 'letter',
    listId,
    onlyNonResponders: false,
    status,
    findings: [],
    release: { releasedBy: 'kari', releasedAt: '2026-01-03T00:00:00Z', layout: { total: 10, batchSize: 10, totalBatches: 1 } },
    createdBy: 'kari',
    createdAt: '2026-01-03T00:00:00Z',
    updatedAt: '2026-01-03T00:00:00Z',
  }) as unknown as ReleasedRound;

const world = (opts: { projects: Project[]; versions: LetterVersion[]; rounds: Seed[]; halted?: boolean; stored?: Partial<Record<string, Partial<ReleasedRound>>> }) => {
  const reset: string[] = [];
  const reopened: string[] = [];
  const byId = new Map(opts.rounds.map((s) => [s.round.roundId, s]));
  const roundDeps = {
    projects: { getProject: async (id: string) => opts.projects.find((p) => p.projectId === id) },
    letters: { getVersion: async (p: string, l: string, v: number) => opts.versions.find((x) => x.projectId === p && x.letterId === l && x.version === v) },
    halted: async () => opts.halted ?? false,
    prober: { probe: async () => ({ ok: true }), allowsPlainHttp: () => false },
    formTasks: { getFormTask: async () => undefined },
    lists: {
      getList: async (_projectId: string, listId: string) => ({ listId, accepted: 10 }),
      slice: async (listId: string, start: number, end: number) => Array.from({ length: end - start }, (_, i) => ({ nin: `${listId}-${start + i}` })),
    },
    contacts: { sentByProject: async () => new Map() },
    progress: {
      progress: async (roundId: string) => {
        const s = byId.get(roundId)!;
        const pending = s.pending ?? 0;
        const failed = s.failed + (s.inDoubt ?? 0);
        return {
          counts: { planned: 10, sent: 10 - failed - pending, skippedReserved: 0, skippedWithdrawn: 0, skippedDuplicate: 0, skippedOther: 0, failed, cancelled: 0, pending },
          skipReasons: {},
          failureReasons: { ...(s.failed ? { channel_error: s.failed } : {}), ...(s.inDoubt ? { in_doubt: s.inDoubt } : {}) },
        };
      },
    },
    rounds: {
      listRounds: async (projectId: string) => opts.rounds.map((s) => s.round).filter((r) => r.projectId === projectId),
      // The round as stored now (a consistent read), where the status listing may lag behind it.
      getRound: async (_p: string, roundId: string) => {
        const r = byId.get(roundId)?.round;
        return r ? { ...r, ...(opts.stored?.[roundId] ?? {}) } : undefined;
      },
      transitionRound: async (_p: string, roundId: string) => {
        reopened.push(roundId);
        return true;
      },
    },
    dispatch: {
      resetFailed: async (r: ReleasedRound) => {
        reset.push(r.roundId);
        return { recipients: byId.get(r.roundId)!.failed, batches: [0] };
      },
      enqueueOnce: async () => undefined,
    },
  } as unknown as RoundDeps;
  const deps = {
    rounds: { listRoundsByStatus: async (status: Round['status']) => opts.rounds.map((s) => s.round).filter((r) => r.status === status) },
    queues: { redriveDeadLetters: async () => 0 },
    audit: { append: async () => undefined },
    roundDeps,
  } as unknown as Parameters<typeof redrive>[0];
  return { deps, reset, reopened };
};

describe('redrive, per round, through the same checks as release', () => {
  it('test_should_redrive_only_rounds_that_pass_the_release_checks_and_say_why_the_others_were_refused', async () => {
    const w = world({
      projects: [project('prjA', 'changes_requested'), project('prjB', 'approved'), project('prjC', 'approved')],
      versions: [version('prjA', 'ltrA', 1, true), version('prjB', 'ltrB', 1, true), version('prjB', 'ltrX', 1, false), version('prjC', 'ltrC', 1, true)],
      rounds: [
        // The project was sent back to review after the round: no redrive.
        { round: round('prjA', 'rA', 'ltrA', 'completed'), failed: 2 },
        { round: round('prjB', 'rB', 'ltrB', 'completed'), failed: 3 },
        // Its letter version lost its approval.
        { round: round('prjB', 'rX', 'ltrX', 'completed'), failed: 1 },
        // Only letters in doubt: nothing to redrive, so neither reopened nor reported.
        { round: round('prjB', 'rD', 'ltrB', 'completed', 'lst-rD'), failed: 0, inDoubt: 2 },
        // Another round is still sending the same letter to the same list.
        { round: round('prjC', 'rC', 'ltrC', 'completed', 'lst-c'), failed: 4 },
        { round: round('prjC', 'rC2', 'ltrC', 'dispatching', 'lst-c'), failed: 0, pending: 5 },
      ],
    });
    const out = await redrive(w.deps, ops);
    expect(out.redriven).toEqual({ deliveries: 3, messages: 0 });
    expect(w.reset).toEqual(['rB']);
    expect(w.reopened).toEqual(['rB']);
    expect(out.refused.map((r) => [r.roundId, r.code]).sort()).toEqual([
      ['rA', 'PROJECT_NOT_APPROVED'],
      ['rC', 'OVERLAPPING_ROUND_ACTIVE'],
      ['rX', 'LETTER_NOT_APPROVED'],
    ]);
  });

  it('test_should_refuse_to_redrive_a_round_held_for_its_ledger_rebuild_after_a_failover', async () => {
    // The failover moved the round and holds it while its ledger is rebuilt; the rebuild then
    // recounts the round's counters from its batch items. A redrive landing in between would have
    // its failed-to-pending change overwritten by the recount: counts that no longer add up.
    const w = world({
      projects: [project('prjB', 'approved')],
      versions: [version('prjB', 'ltrB', 1, true)],
      rounds: [{ round: round('prjB', 'rB', 'ltrB', 'completed'), failed: 3 }],
      stored: { rB: { ledgerRebuild: true } },
    });
    const out = await redrive(w.deps, ops, 'rB');
    expect(out.redriven.deliveries).toBe(0);
    expect(w.reset).toEqual([]);
    expect(w.reopened).toEqual([]);
    expect(out.refused).toEqual([expect.objectContaining({ roundId: 'rB', code: 'ROUND_NOT_READY', message: expect.stringMatching(/ledger/) })]);
  });

  it('test_should_redrive_nothing_while_dispatch_is_halted', async () => {
    const w = world({ projects: [project('prjB', 'approved')], versions: [version('prjB', 'ltrB', 1, true)], rounds: [{ round: round('prjB', 'rB', 'ltrB', 'completed'), failed: 3 }], halted: true });
    const out = await redrive(w.deps, ops, 'rB');
    expect(out.redriven.deliveries).toBe(0);
    expect(w.reset).toEqual([]);
    expect(out.refused).toEqual([expect.objectContaining({ roundId: 'rB', code: 'DISPATCH_HALTED' })]);
  });
});
