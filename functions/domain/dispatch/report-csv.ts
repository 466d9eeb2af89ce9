import { PENDING, type BatchState } from './batch.js';
import { type RecipientOutcome } from '../rounds/round.js';
import { batchOf, batchRange } from './layout.js';
import type { RecipientListRepository } from '../lists/ports.js';
import { PREPARATION_CHUNK } from '../rounds/preparation.js';
import { byPseudonym, REPORT_HEADER, reportRow } from '../rounds/report.js';
import type { Round } from '../rounds/round.js';
import type { RoundDeps } from '../rounds/ports.js';
import { loadProject } from '../projects/use-cases.js';
import { loadRound } from '../rounds/read.js';
import { projectPseudonym } from '../shared/citizen-key.js';
import type { Principal } from '../../shared/principal.js';

/**
 * The round report's CSV rows (here, not in rounds/: it reads the batches' outcomes by the engine's layout) (API.md `?format=csv`, rules in report.ts reportRows): the list is
 * read slice by slice (PREPARATION_CHUNK rows, what its stored chunks hold), never whole, and each
 * recipient is turned into its pseudonymous row as its slice is read, so no national list (nor its
 * IDs) is held in memory, only the rows the CSV consists of.
 */
export interface ReportCsvDeps {
  readonly lists: Pick<RecipientListRepository, 'slice'>;
  readonly batches: { readAll(roundId: string): Promise<ReadonlyMap<number, Pick<BatchState, 'outcomes'>>> };
}

export const reportCsvRows = async (deps: ReportCsvDeps, round: Round, pseudonym: (nin: string) => string): Promise<string[][]> => {
  const layout = round.release?.layout;
  const batches = layout ? await deps.batches.readAll(round.roundId) : new Map<number, Pick<BatchState, 'outcomes'>>();
  const outcomeAt = (i: number): RecipientOutcome => {
    if (!layout) return round.status === 'cancelled' ? { kind: 'cancelled', at: Date.parse(round.cancelledAt) / 1000 } : PENDING;
    const batchNo = batchOf(layout, i);
    return batches.get(batchNo)?.outcomes[i - batchRange(layout, batchNo).start] ?? PENDING;
  };
  const total = layout?.total ?? round.preflight.total;
  const rows: [string, string, string][] = [];
  for (let start = 0; start < total; start += PREPARATION_CHUNK) {
    const slice = await deps.lists.slice(round.listId, start, Math.min(total, start + PREPARATION_CHUNK));
    slice.forEach((r, k) => rows.push(reportRow(pseudonym(r.nin), outcomeAt(start + k))));
    if (slice.length === 0) break;
  }
  rows.sort(byPseudonym);
  return [[...REPORT_HEADER], ...rows];
};

/**
 * The round report as CSV rows, for whoever may read the round: each recipient under the project's
 * pseudonym, made under the key version the project's pseudonyms are pinned to (the answers' and
 * the trail's), not the current one: a key rotation never breaks the researcher's join.
 */
export const roundReportCsv = async (deps: RoundDeps & ReportCsvDeps, principal: Principal, projectId: string, roundId: string): Promise<string[][]> => {
  const project = await loadProject(deps, principal, projectId, 'read');
  const round = await loadRound(deps, projectId, roundId);
  const ring = deps.hashKeys();
  return reportCsvRows(deps, round, (nin) => projectPseudonym(nin, round.projectId, ring, project.pseudonymKeyVersion));
};
