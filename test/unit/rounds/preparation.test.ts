import { beforeEach, describe, expect, it } from 'vitest';
import { RegistryUnavailableError, type CitizenFacts, type CitizenFactsReader } from '../../../functions/domain/citizens/registries.js';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import type { ListMetadata, Recipient } from '../../../functions/domain/lists/recipient-list.js';
import { newProject, type Project } from '../../../functions/domain/projects/project.js';
import type { RoundPatch, RoundRepository } from '../../../functions/domain/rounds/ports.js';
import { PREPARATION_CHUNK, PREPARE_INLINE_MAX, type ChunkSummary } from '../../../functions/domain/rounds/preparation.js';
import { canTransition, type ReleaseInfo, type ReleasedRound, type Round, type RoundStatus, type Waiting } from '../../../functions/domain/rounds/round.js';
import { cancelRound } from '../../../functions/domain/rounds/cancel.js';
import { createRound } from '../../../functions/domain/rounds/create.js';
import type { PrepareMessage, RoundDeps } from '../../../functions/domain/rounds/ports.js';
import { prepareChunk } from '../../../functions/domain/rounds/prepare.js';
import { getRound } from '../../../functions/domain/rounds/read.js';
import { releaseRound } from '../../../functions/domain/rounds/release-round.js';
import { prepareChunkOrNoteFailure } from '../../../functions/domain/rounds/preparation-failure.js';
import { roundView } from '../../../functions/schemas/rounds.js';
import type { Principal } from '../../../functions/shared/principal.js';
import type { ContactRecord } from '../../../functions/domain/rounds/round.js';
import { digitalPerson, ninBornOn } from '../../fixtures/people.js';

const researcher: Principal = { sub: 'res-1', role: 'researcher', org: 'org-1' };
const policy = { allowSynthetic: true };
const ROWS = 12_345; // 13 chunks, the last one short

/** The round repository in memory, with the same conditions the DynamoDB one writes under. */
class MemoryRounds implements RoundRepository {
  readonly rounds = new Map<string, Round>();
  readonly chunks = new Map<string, Map<number, ChunkSummary>>();
  /** Throws once from the next preparedChunks: a worker that dies right after storing its chunk. */
  crashAfterStore = false;
  /** How often the stored chunk results were read (each read is a query over every stored chunk). */
  chunkReads = 0;
  async createRound(round: Round) {
    this.rounds.set(round.roundId, round);
  }
  async getRound(_p: string, roundId: string) {
    return this.rounds.get(roundId);
  }
  async listRounds(projectId: string) {
    return [...this.rounds.values()].filter((r) => r.projectId === projectId);
  }
  async listRoundsByStatus(status: RoundStatus) {
    return [...this.rounds.values()].filter((r) => r.status === status);
  }
  async transitionRound(_p: string, roundId: string, from: readonly RoundStatus[], to: RoundStatus, patch: RoundPatch = {}) {
    const r = this.rounds.get(roundId);
    if (!r || !from.includes(r.status) || !canTransition(r.status, to)) return false;
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined && v !== null));
    this.rounds.set(roundId, { ...r, ...set, status: to } as Round);
    return true;
  }
  async releaseRound(_p: string, roundId: string, from: readonly RoundStatus[], release: ReleaseInfo): Promise<'released' | 'round_changed' | 'raced'> {
    return (await this.transitionRound(_p, roundId, from, 'dispatching', { release })) ? 'released' : 'round_changed';
  }
  async releaseSeq() {
    return 0;
  }
  async setWaiting() {}
  async setAuditHead() {}
  async recordPreparedChunk(_p: string, roundId: string, chunk: number, summary: ChunkSummary) {
    const r = this.rounds.get(roundId);
    const stored = this.chunks.get(roundId) ?? new Map<number, ChunkSummary>();
    if (!r || r.status !== 'preparing' || !r.preparation || stored.has(chunk)) return false;
    // Both or neither, as the DynamoDB transaction.
    stored.set(chunk, structuredClone(summary));
    this.chunks.set(roundId, stored);
    const { failedChunks, ...prep } = r.preparation;
    const still = (failedChunks ?? []).filter((c) => c !== chunk);
    this.rounds.set(roundId, { ...r, preparation: { ...prep, checked: r.preparation.checked + summary.rows, ...(still.length ? { failedChunks: still } : {}) } });
    return true;
  }
  async markPreparationChunkFailed(_p: string, roundId: string, chunk: number) {
    const r = this.rounds.get(roundId);
    const failed = r?.preparation?.failedChunks ?? [];
    if (!r || r.status !== 'preparing' || !r.preparation || this.chunks.get(roundId)?.has(chunk) || failed.includes(chunk)) return false;
    this.rounds.set(roundId, { ...r, preparation: { ...r.preparation, failedChunks: [...failed, chunk].sort((a, b) => a - b) } });
    return true;
  }
  async preparedChunks(_p: string, roundId: string) {
    this.chunkReads++;
    if (this.crashAfterStore) {
      this.crashAfterStore = false;
      throw new Error('worker crashed');
    }
    return [...(this.chunks.get(roundId)?.values() ?? [])];
  }
  async setPreparationWaiting(_p: string, roundId: string, waiting: Waiting | undefined) {
    const r = this.rounds.get(roundId);
    if (!r || r.status !== 'preparing' || !r.preparation) return;
    const { waiting: _old, ...rest } = r.preparation;
    this.rounds.set(roundId, { ...r, preparation: waiting ? { ...rest, waiting } : rest });
  }
}

/** Registry facts by ID; can be down; every bulk read recorded by its size. */
class FakeRegistries implements CitizenFactsReader {
  readonly reads: number[] = [];
  down = false;
  constructor(private readonly people: ReadonlyMap<string, CitizenFacts>) {}
  researchReservationReadable() {
    return true;
  }
  async factsOf(nins: readonly string[]) {
    if (this.down) throw new RegistryUnavailableError('contact', 'contact register unreachable');
    this.reads.push(nins.length);
    return new Map(nins.flatMap((n) => (this.people.has(n) ? [[n, this.people.get(n)!] as const] : [])));
  }
}

/** `rows` adults, every 10th reserved, every 25th unknown to the registers. */
const makeList = (rows: number) => {
  const recipients: Recipient[] = [];
  const people = new Map<string, CitizenFacts>();
  for (let i = 0; i < rows; i++) {
    const nin = ninBornOn(`19${50 + (i % 40)}-0${1 + (Math.floor(i / 40) % 9)}-${String(1 + (Math.floor(i / 360) % 28)).padStart(2, '0')}`, Math.floor(i / 10_080));
    recipients.push({ nin });
    if (i % 25 !== 24) people.set(nin, digitalPerson({ reservedResearch: i % 10 === 9 }));
  }
  return { recipients, people, reserved: recipients.filter((_, i) => i % 10 === 9 && i % 25 !== 24).length, notFound: Math.floor((rows + 1) / 25) };
};

const world = (rows: number) => {
  const now = new Date().toISOString();
  let project: Project = { ...newProject('prj-1', { title: 'Studie', organization: 'org-1' }, researcher, now, true), status: 'approved' };
  const version: LetterVersion = {
    projectId: 'prj-1',
    letterId: 'let-1',
    version: 1,
    title: 'Invitasjon',
    kind: 'letter',
    content: { nb: { subject: 'Invitasjon', body: 'Hei, vil du delta?' } },
    contentHash: 'hash-1',
    authoredBy: 'res-1',
    createdAt: now,
    approval: { approvedBy: 'sup-1', approvedAt: now },
  };
  const { recipients, people, reserved, notFound } = makeList(rows);
  const list = { projectId: 'prj-1', listId: 'lst-1', accepted: rows, rows, columns: ['nin'] } as unknown as ListMetadata;
  const rounds = new MemoryRounds();
  const registries = new FakeRegistries(people);
  const queue: PrepareMessage[] = [];
  const sent = new Map<string, ContactRecord[]>();
  const slices: [number, number][] = [];
  const events: { action: string; details: Record<string, unknown> }[] = [];
  /** Rows whose slice read fails (a chunk that fails whatever the registries say). */
  const poison = { from: -1, to: -1 };
  const deps = {
    projects: {
      getProject: async () => project,
      isMember: async () => true,
      // The first release pins the project's pseudonym key version (release-round.ts).
      saveProject: async (p: Project, revision: number) => void (project = { ...p, revision: revision + 1 }),
    },
    audit: { append: async (_scope: string, e: { action: string; details: Record<string, unknown> }) => void events.push(e) },
    rounds,
    letters: { getLetter: async () => ({ letterId: 'let-1', latestVersion: 1 }), getVersion: async () => version },
    lists: {
      getList: async () => list,
      extendRetention: async () => true,
      readRecipients: async () => {
        throw new Error('a background preparation must not read the whole list');
      },
      slice: async (_l: string, start: number, end: number) => {
        if (start < poison.to && end > poison.from) throw new Error('the list store failed');
        slices.push([start, end]);
        return recipients.slice(start, end);
      },
    },
    citizens: registries,
    contacts: {
      sentByProject: async () => sent,
      contactsIn: async (nins: readonly string[]) => new Map(nins.flatMap((n) => (sent.has(n) ? [[n, sent.get(n)!] as const] : []))),
      sentSince: async () => ({ sent: 0 }),
    },
    progress: { progress: async () => ({ counts: {}, skipReasons: {} }) },
    prober: { probe: async () => ({ ok: true }) },
    dispatch: {
      layout: (total: number) => ({ total, batchSize: 100, totalBatches: Math.ceil(total / 100), canaryBatches: 0, canaryRecipients: 0 }),
      start: async () => {},
    },
    prepareQueue: { enqueue: async (m: readonly PrepareMessage[]) => void queue.push(...m) },
    halted: async () => false,
    hashKeys: () => ({ current: 'v3', keys: { v3: 'preparation-test-key' } }),
  } as unknown as RoundDeps;
  return { deps, rounds, registries, queue, slices, reserved, notFound, recipients, sent, events, poison };
};

const sumOfFields = (p: Round['preflight'] & { minors?: Record<string, unknown> }) =>
  p.eligible + p.reserved + p.withdrawn + p.alreadySent + p.invalid + p.deceased + p.notFound + p.frequencyCapped + p.notAwaitingAnswer;

const create = (w: ReturnType<typeof world>) => createRound(w.deps, policy, researcher, 'prj-1', { letterId: 'let-1', listId: 'lst-1' });

describe('background preparation of a large list', () => {
  let w: ReturnType<typeof world>;
  beforeEach(() => {
    w = world(ROWS);
  });

  it('should_answer_preparing_and_queue_one_chunk_per_1000_rows_when_the_list_is_above_the_inline_limit', async () => {
    expect(ROWS).toBeGreaterThan(PREPARE_INLINE_MAX);
    const round = await create(w);
    expect(round.status).toBe('preparing');
    expect(round.preparation).toEqual({ total: ROWS, checked: 0, chunks: 13, chunkSize: PREPARATION_CHUNK });
    expect(w.queue.map((m) => m.chunk)).toEqual([...Array(13).keys()]);
  });

  it('should_become_ready_with_totals_equal_to_the_list_rows_whatever_order_the_chunks_land_in', async () => {
    const round = await create(w);
    const order = [...w.queue].reverse();
    for (const [i, m] of order.entries()) {
      const out = await prepareChunk(w.deps, policy, m);
      expect(out.kind).toBe(i === order.length - 1 ? 'finished' : 'stored');
    }
    const done = w.rounds.rounds.get(round.roundId)!;
    expect(done.status).toBe('ready');
    expect(done.preflight.total).toBe(ROWS);
    expect(sumOfFields(done.preflight)).toBe(ROWS);
    expect(done.preflight.reserved).toBe(w.reserved);
    expect(done.preflight.notFound).toBe(w.notFound);
    expect(done.preparation).toMatchObject({ checked: ROWS, total: ROWS });
    // Every registry read is a bulk read of at most 1,000 IDs, and only chunk-sized slices were read.
    expect(Math.max(...w.registries.reads)).toBeLessThanOrEqual(PREPARATION_CHUNK);
    expect(w.slices.every(([s, e]) => e - s <= PREPARATION_CHUNK)).toBe(true);
  });

  it('should_read_the_stored_chunk_results_once_when_the_last_chunk_lands_not_once_per_chunk', async () => {
    await create(w);
    for (const m of w.queue) await prepareChunk(w.deps, policy, m);
    // Reading every stored result after every chunk is quadratic: 1,000 chunks would read ~500,000 items.
    expect(w.rounds.chunkReads).toBe(1);
  });

  it('should_count_a_chunk_delivered_twice_once', async () => {
    const round = await create(w);
    const [first, ...rest] = w.queue;
    await prepareChunk(w.deps, policy, first!);
    expect((await prepareChunk(w.deps, policy, first!)).kind).toBe('already_stored');
    expect(w.rounds.rounds.get(round.roundId)!.preparation!.checked).toBe(PREPARATION_CHUNK);
    for (const m of rest) await prepareChunk(w.deps, policy, m);
    // And once more after it is prepared: dropped, nothing changes.
    expect((await prepareChunk(w.deps, policy, first!)).kind).toBe('dropped');
    const done = w.rounds.rounds.get(round.roundId)!;
    expect(done.preflight.total).toBe(ROWS);
    expect(sumOfFields(done.preflight)).toBe(ROWS);
    expect(done.preparation!.checked).toBe(ROWS);
  });

  it('should_finish_on_redelivery_when_the_worker_crashed_after_storing_the_last_chunk', async () => {
    const round = await create(w);
    const last = w.queue.at(-1)!;
    for (const m of w.queue.slice(0, -1)) await prepareChunk(w.deps, policy, m);
    w.rounds.crashAfterStore = true;
    await expect(prepareChunk(w.deps, policy, last)).rejects.toThrow('worker crashed');
    expect(w.rounds.rounds.get(round.roundId)!.status).toBe('preparing');
    expect(w.rounds.rounds.get(round.roundId)!.preparation!.checked).toBe(ROWS);
    // The queue delivers it again: stored already, and now the round is finished.
    expect(await prepareChunk(w.deps, policy, last)).toEqual({ kind: 'finished', status: 'ready' });
    const done = w.rounds.rounds.get(round.roundId)!;
    expect(sumOfFields(done.preflight)).toBe(ROWS);
    expect(done.preflight.total).toBe(ROWS);
  });

  it('should_wait_for_a_registry_that_is_down_mid_preparation_and_go_on_when_it_is_back', async () => {
    const round = await create(w);
    for (const m of w.queue.slice(0, 5)) await prepareChunk(w.deps, policy, m);
    w.registries.down = true;
    const out = await prepareChunk(w.deps, policy, w.queue[5]!);
    expect(out).toMatchObject({ kind: 'waiting', registry: 'contact' });
    const waiting = w.rounds.rounds.get(round.roundId)!;
    expect(waiting.status).toBe('preparing');
    expect(waiting.preparation).toMatchObject({ checked: 5 * PREPARATION_CHUNK, waiting: { registry: 'contact' } });
    const view = await getRound(w.deps, researcher, 'prj-1', round.roundId);
    expect(view.status).toBe('preparing');
    // Nothing finishes on missing facts: every remaining chunk waits.
    for (const m of w.queue.slice(6)) expect((await prepareChunk(w.deps, policy, m)).kind).toBe('waiting');
    expect(w.rounds.rounds.get(round.roundId)!.status).toBe('preparing');
    w.registries.down = false;
    for (const m of w.queue.slice(5)) await prepareChunk(w.deps, policy, m);
    const done = w.rounds.rounds.get(round.roundId)!;
    expect(done.status).toBe('ready');
    expect(done.preparation!.waiting).toBeUndefined();
    expect(sumOfFields(done.preflight)).toBe(ROWS);
  });

  it('should_stop_the_chunks_when_the_round_is_cancelled_mid_preparation', async () => {
    const round = await create(w);
    for (const m of w.queue.slice(0, 4)) await prepareChunk(w.deps, policy, m);
    const cancelled = await cancelRound(w.deps, researcher, 'prj-1', round.roundId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.counts.cancelled).toBe(ROWS);
    const reads = w.registries.reads.length;
    for (const m of w.queue.slice(4)) expect((await prepareChunk(w.deps, policy, m)).kind).toBe('dropped');
    expect(w.registries.reads.length).toBe(reads);
    expect(w.rounds.rounds.get(round.roundId)!.status).toBe('cancelled');
    expect(w.rounds.chunks.get(round.roundId)!.size).toBe(4);
  });

  it('should_refuse_to_release_a_preparing_round_with_ROUND_NOT_READY', async () => {
    const round = await create(w);
    await expect(releaseRound(w.deps, researcher, 'prj-1', round.roundId)).rejects.toMatchObject({ code: 'ROUND_NOT_READY', status: 409 });
  });

  it('should_prepare_a_list_within_the_limit_inside_the_call_as_before', async () => {
    const small = world(PREPARE_INLINE_MAX);
    small.deps.lists.readRecipients = async () => makeList(PREPARE_INLINE_MAX).recipients;
    const round = await create(small);
    expect(round.status).toBe('ready');
    expect(round.preparation).toBeUndefined();
    expect(small.queue).toEqual([]);
    expect(sumOfFields(round.preflight)).toBe(PREPARE_INLINE_MAX);
    expect(round.preflight.reserved).toBe(small.reserved);
  });

  it('should_release_a_prepared_national_round_reading_its_list_by_slices_never_whole', async () => {
    const round = await create(w);
    for (const m of w.queue) await prepareChunk(w.deps, policy, m);
    // An earlier completed round of the same letter reached some of these recipients: release weighs it.
    const now = new Date().toISOString();
    const earlier = {
      ...w.rounds.rounds.get(round.roundId)!,
      roundId: 'rnd-earlier',
      status: 'completed',
      preparation: undefined,
      release: { releasedBy: 'x', releasedAt: now, layout: { total: 10, batchSize: 100, totalBatches: 1, canaryBatches: 0, canaryRecipients: 0 } },
    } as Round;
    await w.rounds.createRound(earlier);
    for (const r of w.recipients.slice(0, 10)) w.sent.set(r.nin, [{ roundId: 'rnd-earlier', letterId: 'let-1', version: 1, contentHash: 'hash-1', sentAt: now } as ContactRecord]);
    w.slices.length = 0;
    // readRecipients throws in this world: the whole list is never read.
    expect(await releaseRound(w.deps, researcher, 'prj-1', round.roundId)).toEqual({ roundId: round.roundId, status: 'dispatching' });
    // The release records the citizen hash key version the round's references are made with.
    expect((w.rounds.rounds.get(round.roundId) as ReleasedRound).release.hashKeyVersion).toBe('v3');
    expect(w.slices.length).toBeGreaterThan(0);
    expect(w.slices.every(([s, e]) => e - s <= PREPARATION_CHUNK)).toBe(true);
  });

  it('should_count_recipients_who_already_got_this_letter_from_their_own_contacts_in_each_chunk', async () => {
    const now = new Date().toISOString();
    // Rows 0–8 and 5,000–5,008 (two chunks) already got this exact content in an earlier round.
    const got = [...w.recipients.slice(0, 9), ...w.recipients.slice(5_000, 5_009)];
    for (const r of got) w.sent.set(r.nin, [{ roundId: 'rnd-earlier', letterId: 'let-1', version: 1, contentHash: 'hash-1', sentAt: now } as ContactRecord]);
    const round = await create(w);
    for (const m of w.queue) await prepareChunk(w.deps, policy, m);
    const done = w.rounds.rounds.get(round.roundId)!;
    expect(done.preflight.alreadySent).toBe(got.length);
    expect(sumOfFields(done.preflight)).toBe(ROWS);
  });
});

describe('a preparation chunk that fails for good', () => {
  let w: ReturnType<typeof world>;
  beforeEach(() => {
    w = world(ROWS);
  });

  it('should_note_the_chunk_on_the_round_on_its_last_attempt_audit_it_and_refuse_release_with_PREPARATION_FAILED', async () => {
    const round = await create(w);
    w.poison.from = 3_000;
    w.poison.to = 3_001;
    for (const m of w.queue) if (m.chunk !== 3) await prepareChunk(w.deps, policy, m);
    const third = w.queue[3]!;
    // Retries before the last one note nothing: the queue tries again.
    await expect(prepareChunkOrNoteFailure(w.deps, policy, third, { last: false })).rejects.toThrow('the list store failed');
    expect(w.rounds.rounds.get(round.roundId)!.preparation!.failedChunks).toBeUndefined();
    // The last receive: the message goes to the dead-letter queue, and the round says so.
    await expect(prepareChunkOrNoteFailure(w.deps, policy, third, { last: true })).rejects.toThrow('the list store failed');
    const stuck = w.rounds.rounds.get(round.roundId)!;
    expect(stuck.status).toBe('preparing');
    expect(stuck.preparation!.failedChunks).toEqual([3]);
    const view = roundView(await getRound(w.deps, researcher, 'prj-1', round.roundId));
    expect(view.preparation).toEqual({ checked: ROWS - PREPARATION_CHUNK, total: ROWS, failed: [{ chunk: 3, fromRow: 3_001, toRow: 4_000 }] });
    const audited = w.events.filter((e) => e.action === 'round.preparation_failed');
    expect(audited).toEqual([expect.objectContaining({ details: { roundId: round.roundId, chunk: 3, fromRow: 3_001, toRow: 4_000, code: 'INTERNAL_ERROR' } })]);
    // Noted once, however often it fails again after a redrive.
    await expect(prepareChunkOrNoteFailure(w.deps, policy, third, { last: true })).rejects.toThrow();
    expect(w.events.filter((e) => e.action === 'round.preparation_failed')).toHaveLength(1);
    await expect(releaseRound(w.deps, researcher, 'prj-1', round.roundId)).rejects.toMatchObject({ code: 'PREPARATION_FAILED', status: 409 });
  });

  it('should_clear_the_failure_and_finish_when_the_redriven_chunk_is_stored', async () => {
    const round = await create(w);
    w.poison.from = 12_000;
    w.poison.to = 12_345;
    for (const m of w.queue.slice(0, -1)) await prepareChunk(w.deps, policy, m);
    const last = w.queue.at(-1)!;
    await expect(prepareChunkOrNoteFailure(w.deps, policy, last, { last: true })).rejects.toThrow();
    expect(w.rounds.rounds.get(round.roundId)!.preparation!.failedChunks).toEqual([12]);
    // Mended, then redriven from the dead-letter queue: the same message once more.
    w.poison.from = w.poison.to = -1;
    expect(await prepareChunkOrNoteFailure(w.deps, policy, last, { last: false })).toEqual({ kind: 'finished', status: 'ready' });
    const done = w.rounds.rounds.get(round.roundId)!;
    expect(done.status).toBe('ready');
    expect(done.preparation!.failedChunks).toBeUndefined();
    expect(sumOfFields(done.preflight)).toBe(ROWS);
    expect(roundView(await getRound(w.deps, researcher, 'prj-1', round.roundId)).preparation).toEqual({ checked: ROWS, total: ROWS });
  });

  it('should_cancel_a_round_stuck_in_preparing_with_a_failed_chunk', async () => {
    const round = await create(w);
    w.poison.from = 0;
    w.poison.to = 1;
    await expect(prepareChunkOrNoteFailure(w.deps, policy, w.queue[0]!, { last: true })).rejects.toThrow();
    const cancelled = await cancelRound(w.deps, researcher, 'prj-1', round.roundId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.counts.cancelled).toBe(ROWS);
    // A redriven chunk of a cancelled round is dropped, and noted nowhere.
    w.poison.from = w.poison.to = -1;
    expect((await prepareChunkOrNoteFailure(w.deps, policy, w.queue[0]!, { last: true })).kind).toBe('dropped');
    expect(roundView(await getRound(w.deps, researcher, 'prj-1', round.roundId)).preparation).toEqual({ checked: 0, total: ROWS });
  });
});
