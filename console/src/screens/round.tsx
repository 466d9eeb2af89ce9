import { useId, useRef, useState } from 'preact/hooks';
import { api, seg, type Finding, type Letter, type Round } from '../api';
import {
  actorLabel,
  approvalLine,
  confirmationSegments,
  failedRowsText,
  findingText,
  formatCount,
  formatTime,
  liveRate,
  progressOf,
  timeLeftText,
  type ProgressSample,
  minorsSentence,
  reachLines,
  roundName,
  roundNumbers,
  sendLabel,
  type RoundCounts,
} from '../format';
import type { Preflight } from '../api-types';
import { getLetter, getLetterVersion, getProject, getRound, listRounds, projectPath } from '../data';
import { osloLocalToIso } from '../dates';
import { lang, t, tk } from '../i18n';
import type { Session } from '../session';
import { ActionDialog, Count, ErrorBox, Link, Notice, PageTitle, Progress, StatusBadge, useAsync, usePoll } from '../ui';

// What the create call returned (pre-flight, findings, letter and version), for when GET of the
// round does not repeat it. Kept for the tab's lifetime.
const created = new Map<string, Round>();
export const rememberRound = (r: Round) => {
  created.set(r.roundId, r);
  try {
    sessionStorage.setItem(`rd.round.${r.roundId}`, JSON.stringify(r));
  } catch {
    /* storage full: the in-memory copy still works */
  }
};
const recallRound = (roundId: string): Round | undefined => {
  const hit = created.get(roundId);
  if (hit) return hit;
  try {
    const raw = sessionStorage.getItem(`rd.round.${roundId}`);
    return raw ? (JSON.parse(raw) as Round) : undefined;
  } catch {
    return undefined;
  }
};

const TERMINAL = new Set(['completed', 'cancelled']);
const COUNT_KEYS: (keyof RoundCounts)[] = ['planned', 'sent', 'skippedReserved', 'skippedWithdrawn', 'skippedDuplicate', 'skippedOther', 'failed', 'cancelled', 'pending'];
const PREFLIGHT_KEYS = ['total', 'eligible', 'reserved', 'withdrawn', 'alreadySent', 'invalid', 'deceased', 'notFound'] as const;

const MINORS_KEYS = ['underSixteen', 'viaGuardians', 'guardianLetters', 'withoutGuardian', 'guardianAccessReserved', 'skippedMinor', 'underGuardianship'] as const;

export const PreflightReport = ({ preflight }: { preflight: Preflight }) => (
  <table class="compact">
    <caption>{t('preflightTitle')}</caption>
    <tbody>
      {PREFLIGHT_KEYS.map((k) => [k, preflight[k]] as const)
        .filter((e): e is readonly [(typeof PREFLIGHT_KEYS)[number], number] => typeof e[1] === 'number')
        .map(([k, n]) => (
          <tr key={k}>
            <th scope="row">{tk(`pf_${k}`, k)}</th>
            <td class="num">
              <Count n={n} />
            </td>
          </tr>
        ))}
      {preflight.minors
        ? MINORS_KEYS.map((k) => (
            <tr key={k}>
              <th scope="row">{tk(`pf_minors_${k}`, k)}</th>
              <td class="num">
                <Count n={preflight.minors![k]} />
              </td>
            </tr>
          ))
        : null}
    </tbody>
  </table>
);

export const FindingList = ({ findings }: { findings: Finding[] }) =>
  findings.length === 0 ? null : (
    <ul class="findings">
      {findings.map((f, i) => (
        <li key={i} class={`finding finding-${f.severity ?? 'error'}`}>
          <strong>{f.severity ? `${tk(`severity_${f.severity}`, f.severity)}: ` : ''}</strong>
          {/* In words, with the fix named: no internal codes or reasons on screen (the code stays as data). */}
          <span data-code={f.code}>{findingText(f, lang.value)}</span>
        </li>
      ))}
    </ul>
  );

export const CountsTable = ({ counts, skipReasons }: { counts: Partial<RoundCounts>; skipReasons?: Record<string, number> }) => (
  <table class="compact counts">
    <tbody>
      {COUNT_KEYS.map((k) => (
        <tr key={k}>
          <th scope="row">{tk(`c_${k}`, k)}</th>
          <td class="num" data-count={k}>
            <Count n={counts[k]} />
          </td>
        </tr>
      ))}
      {skipReasons
        ? Object.entries(skipReasons).map(([k, v]) => (
            <tr key={`skip-${k}`} class="sub">
              <th scope="row">
                {t('skipReasons')}: {tk(`reason_${k}`, k)}
              </th>
              <td class="num">
                <Count n={v} />
              </td>
            </tr>
          ))
        : null}
    </tbody>
  </table>
);

/** The round report's CSV (one pseudonymous row per recipient), saved as a file. */
export const downloadRoundCsv = async (projectId: string, roundId: string): Promise<void> => {
  const csv = await api.get<string>(`${projectPath(projectId)}/rounds/${seg(roundId)}/report?format=csv`);
  const url = URL.createObjectURL(new Blob([typeof csv === 'string' ? csv : ''], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `rapport-${roundId}.csv`;
  a.click();
  URL.revokeObjectURL(url);
};

export const RoundScreen = ({ session, projectId, roundId }: { session: Session; projectId: string; roundId: string }) => {
  const project = useAsync((s) => getProject(projectId, s), [projectId]);
  const round = useAsync((s) => getRound(projectId, roundId, s), [projectId, roundId]);
  const siblings = useAsync((s) => listRounds(projectId, s), [projectId]);
  const known = recallRound(roundId);
  const r: Round | undefined = round.data ? { ...known, ...round.data, preflight: round.data.preflight ?? known?.preflight, findings: round.data.findings ?? known?.findings } : known;
  const letterId = r?.letterId;
  const letter = useAsync((s) => (letterId ? getLetter(projectId, letterId, s) : Promise.resolve(undefined)), [projectId, letterId]);
  // The version the round sends, with its own approval (who approved it, when).
  const roundVersion = round.data?.letterVersion ?? known?.letterVersion;
  const sent = useAsync((s) => (letterId && roundVersion ? getLetterVersion(projectId, letterId, roundVersion, s) : Promise.resolve(undefined)), [projectId, letterId, roundVersion]);
  const [dialog, setDialog] = useState<'release' | 'override' | 'cancel' | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  /** The release dialog's optional send time (a datetime-local value, the browser's local time). */
  const [sendAt, setSendAt] = useState('');
  // The field is wall-clock time in Oslo, whatever zone the browser runs in.
  const sendAtIso = sendAt ? osloLocalToIso(sendAt) : undefined;

  const live = !!r && !TERMINAL.has(r.status) && r.status !== 'ready' && r.status !== 'held';
  // What the page has seen of the progress, for the rate and the time left.
  const samples = useRef<ProgressSample[]>([]);
  // Until the round is over, the page follows its project and the version's approval as well as
  // the round: a superuser's approval offers the release, and a pause by operations is said here
  // (never "being sent now"), without the researcher reloading the page.
  usePoll(
    async () => {
      const [fresh, freshProject, freshVersion] = await Promise.all([
        getRound(projectId, roundId),
        getProject(projectId),
        letterId && roundVersion && sent.data?.approval !== 'approved' ? getLetterVersion(projectId, letterId, roundVersion) : Promise.resolve(undefined),
      ]);
      if (live) samples.current = [...samples.current.slice(-120), { at: Date.now(), done: progressOf(fresh.counts).done }];
      round.set(fresh);
      project.set(freshProject);
      if (freshVersion) sent.set(freshVersion);
    },
    live ? 1000 : 3000,
    !!r && !TERMINAL.has(r.status),
  );
  const rate = live ? liveRate(samples.current) : undefined;

  const downloadCsv = async () => {
    setError(undefined);
    try {
      await downloadRoundCsv(projectId, roundId);
    } catch (e) {
      setError(e);
    }
  };

  const act = async (what: string, body: unknown, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`${projectPath(projectId)}/rounds/${seg(roundId)}/${what}`, body);
      setNotice(done);
      setDialog(undefined);
      round.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const role = session.identity.role;
  // Release is offered only for an approved project and an approved version (the server refuses
  // anything else; the button is not offered instead of failing below the fold).
  const releasable = project.data?.status === 'approved' && sent.data?.approval === 'approved';
  const version = r?.letterVersion ?? letter.data?.version;
  const title = letter.data?.title ?? r?.letterId ?? '';
  const name = roundName(
    {
      number: siblings.data ? roundNumbers(siblings.data).get(roundId) : undefined,
      letterTitle: letter.data?.title,
      version,
      recipients: r?.counts?.planned ?? r?.preflight?.total,
    },
    lang.value,
  );

  return (
    <section>
      <p>
        <Link to={`/projects/${seg(projectId)}`}>← {project.data?.title ?? t('back')}</Link>
      </p>
      <PageTitle>{name}</PageTitle>
      <p class="hint">
        {t('roundIdLabel')}: <code>{roundId}</code>
      </p>
      <ErrorBox error={round.error} />
      {r ? (
        <>
          <div class="summary">
            <span>
              {t('colStatus')}: <StatusBadge status={r.status} prefix="rstatus_" />
            </span>
            <span>
              {t('letter')}: {title}
              {version ? ` (v${version})` : ''}
            </span>
            {live ? <span class="hint">{t('liveUpdating')}</span> : null}
          </div>
          {r.status === 'preparing' ? <Preparation round={r} /> : r.preflight ? <PreflightReport preflight={r.preflight} /> : null}
          {r.findings?.length ? (
            <section aria-labelledby="rf-h">
              <h2 id="rf-h">{t('findingsTitle')}</h2>
              <FindingList findings={r.findings} />
            </section>
          ) : null}
          {r.status === 'held' ? <p class="warning-box">{t('heldExplain')}</p> : null}
          {r.status === 'ready' || r.status === 'held' ? <RoundPreview projectId={projectId} roundId={roundId} count={5} level={2} /> : null}
          {r.counts && r.status !== 'preparing' ? (
            <section aria-labelledby="prog-h">
              <h2 id="prog-h">{t('progress')}</h2>
              <Progress counts={r.counts} />
              {live ? (
                <p class="hint" data-testid="live-rate" aria-live="polite">
                  {rate !== undefined ? t('rateLine', { n: formatCount(Math.round(rate), lang.value) }) : t('rateMeasuring')}
                  {(() => {
                    const left = timeLeftText(progressOf(r.counts).planned - progressOf(r.counts).done, rate, lang.value);
                    return left ? ` · ${left}` : '';
                  })()}
                </p>
              ) : null}
              {r.releasedAt ? (
                <p data-testid="released-by">
                  {t('releasedByLine', { at: formatTime(r.releasedAt, lang.value), by: r.releasedBy ? actorLabel(r.releasedBy, lang.value, r.releasedByName) : '–' })}
                  {r.completedAt
                    ? ` ${t('completedAtLine', { at: formatTime(r.completedAt, lang.value), min: formatCount(Math.max(0, Math.round((Date.parse(r.completedAt) - Date.parse(r.releasedAt)) / 60_000)), lang.value) })}`
                    : ''}
                </p>
              ) : null}
              {r.receipts ? (
                <p data-testid="receipts">
                  {t('receiptsLine', {
                    confirmed: formatCount(r.receipts.confirmed, lang.value),
                    awaiting: formatCount(r.receipts.awaiting, lang.value),
                    failed: formatCount(r.receipts.failedAfterSend, lang.value),
                  })}
                </p>
              ) : null}
              <CountsTable counts={r.counts} skipReasons={r.skipReasons} />
              {r.releasedAt ? (
                <div class="actions">
                  <Link to={`/projects/${seg(projectId)}/rounds/${seg(roundId)}/report`} class="button">
                    {t('reportOpen')}
                  </Link>
                  <button type="button" onClick={() => void downloadCsv()} data-testid="report-csv">
                    {t('reportCsv')}
                  </button>
                </div>
              ) : null}
            </section>
          ) : null}
          {/* Once the round is over, say so: the "being sent" notice of the release no longer holds. */}
          {r.status === 'completed' ? (
            <p class="notice" role="status">
              {t('roundCompleted', { n: formatCount(r.counts?.planned ?? 0, lang.value) })}
            </p>
          ) : r.status === 'cancelled' ? (
            <p class="notice" role="status">
              {t('roundCancelledDone')}
            </p>
          ) : project.data?.status === 'paused' && !TERMINAL.has(r.status) ? (
            // Paused: never "being sent now"; say since when, by whom and why.
            <p class="warning-box" role="status" data-testid="round-paused">
              {t('roundPausedBy', {
                at: formatTime(project.data.pausedAt, lang.value),
                by: project.data.pausedBy ? actorLabel(project.data.pausedBy, lang.value, project.data.pausedByName) : '–',
                reason: project.data.pauseReason ?? '–',
              })}
            </p>
          ) : (
            <Notice>{notice}</Notice>
          )}
          <ErrorBox error={dialog ? undefined : error} />
          <div class="actions">
            {r.status === 'scheduled' && r.scheduledFor ? (
              <p class="notice" role="status" data-testid="scheduled-for">
                {t('scheduledFor', { at: formatTime(r.scheduledFor, lang.value) })}
              </p>
            ) : null}
            {role === 'researcher' && (r.status === 'ready' || r.status === 'held' || r.status === 'scheduled') ? (
              releasable ? (
                <button type="button" class="primary" onClick={() => setDialog('release')}>
                  {r.status === 'scheduled' ? t('changeTime') : t('release')}
                </button>
              ) : project.data && sent.data !== undefined ? (
                <p class="warning-box" data-testid="release-not-offered">
                  {project.data.status === 'paused'
                    ? t('releaseNotOfferedPaused')
                    : project.data.status !== 'approved'
                      ? t('releaseNotOfferedProject')
                      : t('releaseNotOfferedVersion', { v: version ?? '' })}
                </p>
              ) : null
            ) : null}
            {role === 'superuser' && r.status === 'held' ? (
              <button type="button" class="primary" onClick={() => setDialog('override')}>
                {t('override')}
              </button>
            ) : null}
            {(role === 'researcher' || role === 'superuser') && r.status === 'canary_hold' ? (
              <button type="button" class="primary" onClick={() => void act('confirm-canary', undefined, t('released'))}>
                {t('confirmCanary')}
              </button>
            ) : null}
            {role !== 'operations' && !TERMINAL.has(r.status) ? (
              <button type="button" class="danger" onClick={() => setDialog('cancel')}>
                {t('cancelRound')}
              </button>
            ) : null}
          </div>
          <ActionDialog
            open={dialog === 'release'}
            title={t('releaseTitle')}
            confirmLabel={sendAt ? t('scheduleConfirm', { n: formatCount(r.preflight?.eligible ?? 0, lang.value) }) : sendLabel(r.preflight?.eligible ?? 0, lang.value)}
            busy={busy}
            error={error}
            deliberate
            onClose={() => setDialog(undefined)}
            onConfirm={() => {
              if (sendAt && !sendAtIso) return;
              void act('release', sendAtIso ? { at: sendAtIso } : undefined, sendAtIso ? t('scheduled') : t('released'));
            }}
          >
            {r.preflight && version ? <ConfirmationText letter={sent.data} title={title} version={version} preflight={r.preflight} /> : null}
            <label class="field">
              {t('sendAtLabel')}
              <input type="datetime-local" value={sendAt} onInput={(e) => setSendAt((e.target as HTMLInputElement).value)} data-testid="send-at" aria-describedby="send-at-zone" />
              <span class="hint" id="send-at-zone" data-testid="send-at-zone">
                {sendAt ? (sendAtIso ? t('sendAtChosen', { at: formatTime(sendAtIso, lang.value) }) : t('sendAtInvalid')) : t('sendAtZone')}
              </span>
              <span class="hint">{t('sendAtHint')}</span>
            </label>
            <RoundPreview projectId={projectId} roundId={roundId} count={3} level={3} />
          </ActionDialog>
          <ActionDialog
            open={dialog === 'override'}
            title={t('overrideTitle')}
            reasonLabel={t('reason')}
            confirmLabel={t('override')}
            busy={busy}
            error={error}
            onClose={() => setDialog(undefined)}
            onConfirm={(reason) => void act('override', { reason }, t('overridden'))}
          >
            <FindingList findings={(r.findings ?? []).filter((f) => f.code === 'DUPLICATE_ROUND')} />
          </ActionDialog>
          <ActionDialog
            open={dialog === 'cancel'}
            title={t('cancelRound')}
            confirmLabel={t('cancelRound')}
            busy={busy}
            error={error}
            onClose={() => setDialog(undefined)}
            onConfirm={() => void act('cancel', undefined, t('rstatus_cancelled'))}
          >
            <p>{t('cancelRoundReason')}</p>
          </ActionDialog>
        </>
      ) : round.loading ? (
        <p>{t('loading')}</p>
      ) : null}
    </section>
  );
};

const ConfirmationText = ({ letter, title, version, preflight }: { letter?: Letter; title: string; version: number; preflight: Preflight }) => {
  const minors = minorsSentence(preflight, lang.value);
  const reach = reachLines(preflight, lang.value);
  return (
    <>
      <p class="confirmation" data-testid="confirmation">
        {confirmationSegments({ letterTitle: title, version, preflight }, lang.value).map((s, i) => (s.em ? <em key={i}>{s.text}</em> : <span key={i}>{s.text}</span>))}
      </p>
      {letter ? (
        <p data-testid="confirmation-approval">
          <strong>{approvalLine(letter, version, lang.value)}</strong>
        </p>
      ) : null}
      {reach.channels.length ? (
        <div class="stats" data-testid="confirmation-reach">
          <div>
            <h3>{t('reachByChannel')}</h3>
            <ul>
              {reach.channels.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
          </div>
          {reach.languages.length ? (
            <div>
              <h3>{t('reachByLanguage')}</h3>
              <ul>
                {reach.languages.map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
            </div>
          ) : null}
        </div>
      ) : null}
      {minors ? (
        <p class="confirmation" data-testid="confirmation-minors">
          {minors}
        </p>
      ) : null}
    </>
  );
};

export interface PreviewItem {
  row: number;
  language: 'nb' | 'nn' | 'en';
  channel?: string;
  channelBasis?: 'registry' | 'assumed-digitally-active-adult';
  subject: string;
  body: string;
  problem?: { code: 'MISSING_FIELD'; field: string } | { code: 'SEND_CHECK'; reason: string };
}

/**
 * The letter exactly as sample recipients of the round's list will read it (GET …/preview): shown
 * before a researcher releases and while a superuser reviews, the way Notify shows the first rows
 * of a CSV rendered. Plain text, as the inbox shows it: nothing in it is interpreted as markup.
 */
export const RoundPreview = ({
  projectId,
  roundId,
  count = 3,
  level,
  name,
}: {
  projectId: string;
  roundId: string;
  count?: number;
  /** The heading's level where it stands: one below the heading it belongs under, never skipping one. */
  level: 2 | 3 | 4;
  /** The round's name, where several previews share a page: each region then has a name of its own. */
  name?: string;
}) => {
  const preview = useAsync((s) => api.get<{ items: PreviewItem[] }>(`${projectPath(projectId)}/rounds/${seg(roundId)}/preview?count=${count}`, s), [projectId, roundId, count]);
  const items = preview.data?.items;
  const Heading = `h${level}` as const;
  // The round screen and its release dialog both preview the same round: the id is the instance's own.
  const headingId = useId();
  return (
    <section class="round-preview" aria-labelledby={headingId} data-testid="round-preview">
      <Heading id={headingId} class="preview-h">
        {name ? t('roundPreviewTitleOf', { round: name }) : t('roundPreviewTitle')}
      </Heading>
      <p class="hint">{t('roundPreviewExplain')}</p>
      <ErrorBox error={preview.error} />
      {preview.loading && !items ? <p>{t('loading')}</p> : null}
      {items && items.length === 0 ? <p>{t('previewEmpty')}</p> : null}
      {items?.map((item) => (
        <article key={item.row} class="preview" lang={item.language} aria-label={t('previewRow', { row: item.row })}>
          <p class="hint">
            {t('previewRow', { row: item.row })} · {t(`lang_${item.language}`)} ·{' '}
            {item.channel ? (
              <>
                {tk(`channel_${item.channel}`, item.channel)} ({item.channelBasis === 'registry' ? t('previewChannelRegistry') : t('previewChannelAssumed')})
              </>
            ) : (
              t('previewNoChannel')
            )}
          </p>
          {item.problem ? (
            <p class="warning-box">{item.problem.code === 'MISSING_FIELD' ? t('previewMissingField', { field: item.problem.field }) : t('previewSendCheck', { reason: item.problem.reason })}</p>
          ) : null}
          <p class="preview-subject">{item.subject}</p>
          <p class="preview-body">{item.body}</p>
        </article>
      ))}
    </section>
  );
};

/**
 * A large list's pre-flight while it runs in the background: how far it is, and which register it
 * waits for when one does not answer. Release is not offered until it is done.
 */
const Preparation = ({ round }: { round: Round }) => {
  const checked = round.preparation?.checked ?? 0;
  const total = round.preparation?.total ?? round.preflight?.total ?? 0;
  return (
    <section aria-labelledby="prep-h" data-testid="preparation">
      <h2 id="prep-h">{t('preparingTitle')}</h2>
      <progress value={checked} max={Math.max(total, 1)} aria-labelledby="prep-h" />
      <p role="status">{t('preparingProgress', { checked: formatCount(checked, lang.value), total: formatCount(total, lang.value) })}</p>
      {round.preparation?.failed?.length ? (
        <p class="warning-box" role="alert" data-testid="preparation-failed">
          {t('preparingFailed', { rows: failedRowsText(round.preparation.failed, lang.value) })}
        </p>
      ) : null}
      {round.waitingFor ? (
        <p class="warning-box" data-testid="preparation-waiting">
          {t('preparingWaiting', { registry: tk(`registry_${round.waitingFor.registry}`, round.waitingFor.registry) })}
        </p>
      ) : null}
      <p class="hint">{t('preparingExplain')}</p>
    </section>
  );
};
