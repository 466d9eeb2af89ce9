import { NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { citizenFacts, type CitizenFacts, type CitizenFactsReader } from '../citizens/registries.js';
import type { Channel } from '../shared/channel.js';
import { chooseChannel, researchChannelAllowed } from './channel-rule.js';

/** What the preview assumes without registry facts: a digitally active adult with an address. */
const ASSUMED_ADULT: CitizenFacts = citizenFacts({ digitallyActive: true, digitalMailbox: true, postalAddress: { lines: [], postalCode: '', city: '' } });
import { externalFormLink, type CheckDeps } from '../letters/check.js';
import { externalLink } from '../letters/form-task.js';
import type { Language } from '../letters/letter.js';
import type { LetterRepository } from '../letters/ports.js';
import { footerInfoFor, MissingFieldError, readingLanguage, renderLetter } from '../letters/render.js';
import { checkRenderedLetter, type SendCheckReason } from '../letters/send-check.js';
import type { RecipientListRepository } from '../lists/ports.js';
import type { Recipient } from '../lists/recipient-list.js';
import type { ProjectRepository } from '../projects/ports.js';
import { loadProject } from '../projects/use-cases.js';
import type { RoundRepository } from './ports.js';

/**
 * The letter exactly as sample recipients of a round's list will read it: their language, their
 * fields, the standard footer, rendered by the same renderLetter the dispatch worker uses. Like
 * GOV.UK Notify showing the first rows of a CSV rendered before sending. Never an ID: a sample is
 * named by its row (position among the list's accepted recipients).
 */

/**
 * Samples are picked from the list's first rows only (one slice, never the whole list: a national
 * list has 1,000,000 rows); a language asked for only further down is not sampled.
 */
export const PREVIEW_SCAN_ROWS = 1_000;

export const PREVIEW_DEFAULT_COUNT = 5;
export const PREVIEW_MAX_COUNT = 20;

/** Stands in for the recipient's opaque token in an external form's link; never a working token. */
export const PREVIEW_TOKEN = 'forhandsvisning-ikke-gyldig';

export interface PreviewDeps {
  readonly projects: ProjectRepository;
  readonly rounds: Pick<RoundRepository, 'getRound'>;
  readonly letters: Pick<LetterRepository, 'getVersion'>;
  readonly lists: Pick<RecipientListRepository, 'slice'>;
  readonly formTasks?: CheckDeps['formTasks'];
  /**
   * The registries' facts for the samples (language, digital activity), when the composition root
   * provides them. Without them the channel is the one the project's distribution rule picks for a
   * digitally active adult, and `channelBasis` says so.
   */
  readonly citizenFacts?: Pick<CitizenFactsReader, 'factsOf' | 'researchReservationReadable'>;
}

export type ChannelBasis = 'registry' | 'assumed-digitally-active-adult';

export interface PreviewItem {
  readonly row: number;
  readonly language: Language;
  /** Absent when the distribution rule gives this recipient no channel (`no_channel` at send time). */
  readonly channel?: Channel;
  readonly channelBasis: ChannelBasis;
  readonly subject: string;
  readonly body: string;
  /** Present when the letter cannot be rendered for this recipient, or would be refused at send time. */
  readonly problem?: { readonly code: 'MISSING_FIELD'; readonly field: string } | { readonly code: 'SEND_CHECK'; readonly reason: SendCheckReason };
}

export const parsePreviewCount = (raw: string | undefined): number => {
  if (raw === undefined || raw === '') return PREVIEW_DEFAULT_COUNT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > PREVIEW_MAX_COUNT) {
    throw new ValidationError(`count must be a whole number from 1 to ${PREVIEW_MAX_COUNT}`, [{ field: 'count', message: `1–${PREVIEW_MAX_COUNT}` }]);
  }
  return n;
};

/**
 * Which rows to show: the first recipient of each language the list asks for (so a nynorsk or
 * English reader's letter is seen, not only the bokmål one), then the first rows, up to `count`.
 */
export const pickSamples = (recipients: readonly Recipient[], count: number): number[] => {
  const picked: number[] = [];
  const languages = new Set<string>();
  for (let i = 0; i < recipients.length && picked.length < count; i++) {
    const lang = recipients[i]!.language ?? 'nb';
    if (languages.has(lang)) continue;
    languages.add(lang);
    picked.push(i);
  }
  for (let i = 0; i < recipients.length && picked.length < count; i++) if (!picked.includes(i)) picked.push(i);
  return picked.sort((a, b) => a - b);
};

/** Members, the organisation's superusers and operations: whoever may read the project. */
export const previewRound = async (deps: PreviewDeps, principal: Principal, projectId: string, roundId: string, count: number): Promise<{ items: PreviewItem[] }> => {
  const project = await loadProject(deps, principal, projectId, 'read');
  const round = await deps.rounds.getRound(projectId, roundId);
  if (!round) throw new NotFoundError('Round');
  const version = await deps.letters.getVersion(projectId, round.letterId, round.letterVersion);
  if (!version) throw new NotFoundError('Letter version');
  const recipients = await deps.lists.slice(round.listId, 0, PREVIEW_SCAN_ROWS);
  const rows = pickSamples(recipients, count);
  const samples = rows.map((i) => recipients[i]!);
  const facts = deps.citizenFacts
    ? await deps.citizenFacts.factsOf(
        samples.map((r) => r.nin),
        projectId,
      )
    : undefined;
  const form = await externalFormLink(deps, version);
  const formUrl = form && form !== 'missing' ? form : undefined;
  const footer = footerInfoFor(project);
  const reservation = { purpose: project.purpose, readable: deps.citizenFacts?.researchReservationReadable() ?? false };

  const items = rows.map((i, k): PreviewItem => {
    const r = samples[k]!;
    const f = facts?.get(r.nin);
    const basis: ChannelBasis = f ? 'registry' : 'assumed-digitally-active-adult';
    const choice = chooseChannel(project.settings.distributionRule, f ?? ASSUMED_ADULT);
    // Without the general research reservation read (or without the registries), paper and mailbox are not shown for research: they would be skipped.
    const channel = 'channel' in choice && researchChannelAllowed(choice.channel, reservation) ? choice.channel : undefined;
    const language = readingLanguage(version, r.language ?? f?.language);
    const base = { row: i + 1, language, ...(channel ? { channel } : {}), channelBasis: basis };
    try {
      const letter = renderLetter(version, language, r.fields ?? {}, footer, formUrl ? { taskLink: externalLink(formUrl, PREVIEW_TOKEN) } : {});
      const item = { ...base, language: letter.language, subject: letter.subject, body: letter.body };
      // The send-time check, as the worker will run it; only meaningful for an approved version.
      if (version.approval) {
        const check = checkRenderedLetter(letter, version, { footer, ...(formUrl ? { externalFormUrl: formUrl } : {}) });
        if (!check.ok) return { ...item, problem: { code: 'SEND_CHECK', reason: check.reason } };
      }
      return item;
    } catch (e) {
      if (e instanceof MissingFieldError) return { ...base, subject: '', body: '', problem: { code: 'MISSING_FIELD', field: e.field } };
      throw e;
    }
  });
  return { items };
};
