import { describe, expect, it } from 'vitest';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import type { Recipient } from '../../../functions/domain/lists/recipient-list.js';
import { newProject, type Project } from '../../../functions/domain/projects/project.js';
import { previewRound, type PreviewDeps } from '../../../functions/domain/rounds/preview.js';
import { reportCsvRows } from '../../../functions/domain/dispatch/report-csv.js';
import type { BatchState } from '../../../functions/domain/dispatch/batch.js';
import type { Round } from '../../../functions/domain/rounds/round.js';
import type { Principal } from '../../../functions/shared/principal.js';

/**
 * Issue 22, item 3: nothing reads a national list whole. Preview and the round report's CSV read
 * it by slices (ranges of rows), so a 1,000,000-row list costs them what its slices cost.
 */
const ROWS = 1_000_000;
const researcher: Principal = { sub: 'res-1', role: 'researcher', org: 'org-1' };

/** A list store of ROWS rows made up on demand; it refuses to hand out the whole list. */
const nationalList = () => {
  const reads: [number, number][] = [];
  const row = (i: number): Recipient => ({ nin: `nin-${String(i).padStart(7, '0')}`, ...(i === 7 ? { language: 'nn' as const } : {}), fields: { navn: `Person ${i}` } });
  return {
    reads,
    store: {
      getList: async () => ({ projectId: 'prj-1', listId: 'lst-1', accepted: ROWS, rows: ROWS, columns: ['nin', 'navn'] }) as never,
      readRecipients: async (): Promise<Recipient[]> => {
        throw new Error('the whole list was read');
      },
      slice: async (_listId: string, start: number, end: number): Promise<Recipient[]> => {
        const to = Math.min(end, ROWS);
        reads.push([start, to]);
        return Array.from({ length: Math.max(0, to - start) }, (_, k) => row(start + k));
      },
    },
  };
};

const now = new Date().toISOString();
const project: Project = { ...newProject('prj-1', { title: 'Studie', organization: 'org-1' }, researcher, now, true), status: 'approved' };
const version: LetterVersion = {
  projectId: 'prj-1',
  letterId: 'let-1',
  version: 1,
  title: 'Invitasjon',
  kind: 'letter',
  content: { nb: { subject: 'Invitasjon', body: 'Hei {{navn}}, vil du delta?' }, nn: { subject: 'Invitasjon', body: 'Hei {{navn}}, vil du vere med?' } },
  contentHash: 'hash-1',
  authoredBy: 'res-1',
  createdAt: now,
};
const round = (extra: Partial<Round> = {}): Round =>
  ({
    projectId: 'prj-1',
    roundId: 'rnd-1',
    letterId: 'let-1',
    letterVersion: 1,
    contentHash: 'hash-1',
    kind: 'letter',
    listId: 'lst-1',
    onlyNonResponders: false,
    status: 'ready',
    preflight: { total: ROWS },
    findings: [],
    createdBy: 'res-1',
    createdAt: now,
    updatedAt: now,
    ...extra,
  }) as Round;

describe('a 1,000,000-row list is read by slices, never whole', () => {
  it('should_preview_a_round_over_a_national_list_from_its_first_rows_only', async () => {
    const list = nationalList();
    const deps = {
      projects: { getProject: async () => project, isMember: async () => true },
      rounds: { getRound: async () => round() },
      letters: { getVersion: async () => version },
      lists: list.store,
    } as unknown as PreviewDeps;
    const { items } = await previewRound(deps, researcher, 'prj-1', 'rnd-1', 3);
    expect(items.map((i) => i.row)).toEqual([1, 2, 8]);
    expect(items.find((i) => i.row === 8)!.language).toBe('nn');
    expect(items[0]!.body).toContain('Person 0');
    expect(list.reads.reduce((n, [s, e]) => n + (e - s), 0)).toBeLessThanOrEqual(1_000);
  });

  it('should_write_the_report_csv_of_a_national_round_reading_its_list_slice_by_slice', { timeout: 60_000 }, async () => {
    const list = nationalList();
    const at = Math.floor(Date.parse(now) / 1000);
    const layout = { total: ROWS, batchSize: 100, totalBatches: ROWS / 100, canaryBatches: 0, canaryRecipients: 0 };
    // Batch 2 (rows 200–299) was sent; the rest never started.
    const batches = new Map<number, BatchState>([[2, { outcomes: Array.from({ length: 100 }, () => ({ kind: 'sent', channel: 'helsenorge', at })) } as unknown as BatchState]]);
    const released = round({ status: 'dispatching', release: { releasedBy: 'res-1', releasedAt: now, layout } });
    const rows = await reportCsvRows({ lists: list.store, batches: { readAll: async () => batches } }, released, (nin) => `p-${nin.slice(4)}`);
    expect(rows).toHaveLength(ROWS + 1);
    expect(rows[0]).toEqual(['recipient', 'outcome', 'at']);
    expect(rows.filter((r) => r[1] === 'sent')).toHaveLength(100);
    expect(rows[201]).toEqual(['p-0000200', 'sent', new Date(at * 1000).toISOString()]);
    expect(list.reads.length).toBeGreaterThan(1);
    expect(list.reads.every(([s, e]) => e - s <= 10_000)).toBe(true);
  });
});
