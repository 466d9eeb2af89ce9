import { NotFoundError } from '../../shared/errors.js';
import { RegistryUnavailableError } from '../citizens/registries.js';
import { pseudonymsOfChild, routeWithFacts } from '../citizens/minors.js';
import { placeholdersIn } from '../letters/content.js';
import { guardiansAwaitingAnswer, nonResponders } from '../letters/form-tasks.js';
import { childrenAwaiting } from './reminders.js';
import type { Language, LetterContentByLanguage, LetterVersion } from '../letters/letter.js';
import type { Recipient } from '../lists/recipient-list.js';
import { effectiveMinorsPolicy } from '../projects/minors-policy.js';
import type { Project } from '../projects/project.js';
import { auditScope } from '../projects/use-cases.js';
import { auditEvent } from '../shared/audit.js';
import { nowIso } from '../shared/ids.js';
import { validateNin } from '../shared/nin.js';
import type { PrepareMessage, RoundDeps, RoundPolicy } from './ports.js';
import type { ContactRecord } from './round.js';
import {
  decideRecipient,
  detectDuplicateRounds,
  earlierVersionsReceived,
  languageFindings,
  tallyPreflightWithMinors,
  versionKey,
  wantedLanguage,
  withMinorsRoute,
  type RecipientDecision,
} from './preflight.js';
import { chunkRange, mergeChunks, wantedLanguages, type ChunkSummary } from './preparation.js';
import { tallyReach } from './reach.js';
import type { Round, RoundFinding } from './round.js';

/** Letters whose placeholders the list cannot fill would fail at send time: say so now. */
const placeholderFindings = (content: LetterContentByLanguage, columns: readonly string[]): RoundFinding[] => {
  const used = new Set<string>();
  for (const c of Object.values(content)) {
    if (!c) continue;
    for (const p of [...placeholdersIn(c.subject), ...placeholdersIn(c.body)]) if (p.valid) used.add(p.name);
  }
  const missing = [...used].filter((n) => !columns.includes(n));
  return missing.length ? [{ code: 'MISSING_PLACEHOLDER_COLUMN', severity: 'warning', message: 'The letter uses placeholders the recipient list has no column for', placeholders: missing }] : [];
};

/** What every chunk of one round's pre-flight is decided against. */
export interface ChunkContext {
  readonly project: Project;
  readonly version: LetterVersion;
  readonly onlyNonResponders: boolean;
  /** The round's creation time: every chunk decides as of then, whenever it runs. */
  readonly now: string;
  readonly policy: RoundPolicy;
}

/** The project's other (real) rounds: whose letters count as contacts. */
export const otherRoundIds = async (deps: Pick<RoundDeps, 'rounds'>, projectId: string, self: string) =>
  (await deps.rounds.listRounds(projectId)).filter((r) => !r.test && r.roundId !== self).map((r) => r.roundId);

/** One chunk of the pre-flight: one bulk read per registry for its recipients, decided and counted. */
export const evaluateChunk = async (deps: RoundDeps, ctx: ChunkContext, contacts: ReadonlyMap<string, ContactRecord[]>, chunk: number, slice: readonly Recipient[]): Promise<ChunkSummary> => {
  const { project, version, onlyNonResponders, now, policy } = ctx;
  const projectId = project.projectId;
  const minors = effectiveMinorsPolicy(project);
  const rules = { contentHash: version.contentHash, frequencyCap: project.settings.frequencyCap, onlyNonResponders, now };
  const nins = slice.map((r) => r.nin);
  const [facts, awaiting] = await Promise.all([
    deps.citizens.factsOf(nins, projectId),
    onlyNonResponders ? nonResponders(deps, projectId, version.formTaskId!, nins, now) : Promise.resolve(undefined),
  ]);
  // The minors rule as it will apply at send time (guardians read once per chunk).
  const read = await routeWithFacts(deps.citizens, { projectId, nins, facts, policy: minors, at: new Date(now), rules: { allowSynthetic: policy.allowSynthetic, checkDigits: policy.checkDigits } });
  // A reminder reaches a child through the guardians who have not answered about them, as at send time.
  const reminded = awaiting
    ? await childrenAwaiting(
        read,
        (nin) => pseudonymsOfChild(nin, deps.hashKeys()),
        (asked) => guardiansAwaitingAnswer(deps, projectId, version.formTaskId!, asked, now),
      )
    : undefined;
  const routes = reminded?.routes ?? read;
  const decided = slice.map((r) => {
    const own: readonly ContactRecord[] = contacts.get(r.nin) ?? [];
    const f = facts.get(r.nin);
    const decision: RecipientDecision = decideRecipient(
      {
        valid: validateNin(r.nin, { allowSynthetic: policy.allowSynthetic, checkDigits: policy.checkDigits }).ok,
        reserved: f?.reservedResearch ?? false,
        withdrawn: f?.withdrawn ?? false,
        population: { deceased: f?.deceased ?? false, known: f?.known ?? false },
        contacts: own,
        ...(awaiting ? { awaitingAnswer: awaiting.has(r.nin) || reminded!.children.has(r.nin) } : {}),
      },
      rules,
    );
    return { contacts: own, decision, route: routes.get(r.nin), facts: f, language: wantedLanguage(r.language, f?.language) };
  });

  const current = { letterId: version.letterId, version: version.version, contentHash: version.contentHash, content: version.content };
  const toLoad = earlierVersionsReceived(
    decided.map((d) => d.contacts),
    current,
    now,
  );
  const loaded = await Promise.all(toLoad.map((v) => deps.letters.getVersion(projectId, v.letterId, v.version)));
  const earlier = new Map(loaded.flatMap((v) => (v ? [[versionKey(v.letterId, v.version), v.content] as const] : [])));
  const wanted: Record<Language, number> = { nb: 0, nn: 0, en: 0 };
  for (const d of decided) if (withMinorsRoute(d.decision, d.route).outcome === 'send') wanted[d.language]++;
  return {
    chunk,
    rows: slice.length,
    preflight: {
      ...tallyPreflightWithMinors(decided, minors),
      reach: tallyReach(decided, project.settings.distributionRule, version.content, { purpose: project.purpose, readable: deps.citizens.researchReservationReadable() }),
    },
    wanted,
    duplicates: detectDuplicateRounds(decided, current, earlier, { now, onlyNonResponders }),
  };
};

/** The round's pre-flight and findings from its chunks' summaries (one per chunk). */
export const preparedResult = (summaries: readonly ChunkSummary[], ctx: ChunkContext, columns: readonly string[]) => {
  const merged = mergeChunks(summaries, effectiveMinorsPolicy(ctx.project));
  const findings: RoundFinding[] = [...merged.duplicates, ...placeholderFindings(ctx.version.content, columns), ...languageFindings(wantedLanguages(merged.wanted), ctx.version.content)];
  return { preflight: merged.preflight, findings };
};

export type PrepareOutcome =
  | { readonly kind: 'dropped'; readonly why: string }
  | { readonly kind: 'stored' | 'already_stored' }
  | { readonly kind: 'finished'; readonly status: 'ready' | 'held' }
  | { readonly kind: 'waiting'; readonly registry: string; readonly retryInMs: number };

/** How long a chunk waits for a registry that could not be read before it tries again. */
const REGISTRY_RETRY_MS = 5_000;

/**
 * One chunk of a background pre-flight (the prepare queue's consumer). Its result is stored once
 * (a redelivered or retried chunk finds it stored and adds nothing); whichever chunk finds all of
 * them stored sums them and moves the round preparing → ready|held by one conditional transition,
 * so a crash anywhere in between is finished by the next delivery. A registry that cannot be read
 * leaves the chunk unstored: the round shows `waitingFor` and the chunk comes back later.
 */
export const prepareChunk = async (deps: RoundDeps, policy: RoundPolicy, m: PrepareMessage): Promise<PrepareOutcome> => {
  const round = await deps.rounds.getRound(m.projectId, m.roundId, { consistent: true });
  if (!round || round.status !== 'preparing' || !round.preparation) return { kind: 'dropped', why: round ? round.status : 'gone' };
  const prep = round.preparation;
  if (m.chunk < 0 || m.chunk >= prep.chunks) return { kind: 'dropped', why: 'no such chunk' };
  const project = await deps.projects.getProject(m.projectId, { consistent: true });
  const version = await deps.letters.getVersion(m.projectId, round.letterId, round.letterVersion);
  const list = await deps.lists.getList(m.projectId, round.listId);
  if (!project || !version || !list) throw new NotFoundError('Round preparation input');
  const ctx: ChunkContext = { project, version, onlyNonResponders: round.onlyNonResponders, now: round.createdAt, policy };
  const { start, end } = chunkRange(m.chunk, prep.total);
  let summary: ChunkSummary;
  try {
    // Only this chunk's citizens' contacts: never the project's whole ledger once per chunk.
    const [slice, roundIds] = await Promise.all([deps.lists.slice(round.listId, start, end), otherRoundIds(deps, m.projectId, m.roundId)]);
    const contacts = await deps.contacts.contactsIn(
      slice.map((r) => r.nin),
      m.projectId,
      roundIds,
    );
    summary = await evaluateChunk(deps, ctx, contacts, m.chunk, slice);
  } catch (e) {
    if (!(e instanceof RegistryUnavailableError)) throw e;
    if (prep.waiting?.registry !== e.registry) await deps.rounds.setPreparationWaiting(m.projectId, m.roundId, { registry: e.registry, since: nowIso() });
    return { kind: 'waiting', registry: e.registry, retryInMs: e.retryAfterMs ?? REGISTRY_RETRY_MS };
  }
  if (prep.waiting) await deps.rounds.setPreparationWaiting(m.projectId, m.roundId, undefined);
  const stored = await deps.rounds.recordPreparedChunk(m.projectId, m.roundId, m.chunk, summary);
  const finished = await finishPreparation(deps, round, ctx, list.columns);
  return finished ?? { kind: stored ? 'stored' : 'already_stored' };
};

const preparer = { sub: 'preparation', role: 'operations' as const, name: 'Background pre-flight' };

const finishPreparation = async (deps: RoundDeps, round: Round, ctx: ChunkContext, columns: readonly string[]): Promise<PrepareOutcome | undefined> => {
  const prep = round.preparation!;
  // The round's own progress (one item) says whether every chunk is in: the stored results are read
  // once, by the chunk that completes the count, never after every chunk (quadratic in chunks).
  const now = await deps.rounds.getRound(round.projectId, round.roundId, { consistent: true });
  if (!now || now.status !== 'preparing' || (now.preparation?.checked ?? 0) < prep.total) return undefined;
  const byChunk = new Map((await deps.rounds.preparedChunks(round.projectId, round.roundId)).map((s) => [s.chunk, s]));
  if (byChunk.size < prep.chunks) return undefined;
  const { preflight, findings } = preparedResult([...byChunk.values()], ctx, columns);
  const status = findings.some((f) => f.code === 'DUPLICATE_ROUND') ? 'held' : 'ready';
  const done = { total: prep.total, checked: prep.total, chunks: prep.chunks, chunkSize: prep.chunkSize };
  if (!(await deps.rounds.transitionRound(round.projectId, round.roundId, ['preparing'], status, { preflight, findings, preparation: done }))) return undefined;
  await deps.audit.append(auditScope(round.projectId), auditEvent(preparer, 'round.prepared', { roundId: round.roundId, status, preflight, findings: findings.map((f) => f.code) }));
  return { kind: 'finished', status };
};
