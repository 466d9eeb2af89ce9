import { useState } from 'preact/hooks';
import { api, ApiError, itemsOf, seg, type Finding, type Letter, type Project, type Round } from '../api';
import { diffLines, formatTime, roundName, type LetterLang } from '../format';
import { getLetterVersion, getProject, listLetters, listProjects, listRounds, projectPath, roundLabels, type RoundLabel } from '../data';
import { lang, t, tk } from '../i18n';
import type { Session } from '../session';
import { ActionDialog, ErrorBox, Field, Link, Notice, PageTitle, StatusBadge, useAsync } from '../ui';
import { ProjectTable } from './projects';
import { FindingList, PreflightReport, RoundPreview } from './round';

interface ChecklistItem {
  id: string;
  label: string;
  /** The platform says a tick does not answer this item: a note (the reason) is needed. */
  noteRequired?: boolean;
}
// Used when the platform does not serve GET /projects/{id}/checklist.
const DEFAULT_CHECKLIST: ChecklistItem[] = ['sender-identified', 'purpose-stated', 'voluntary-participation', 'how-to-withdraw', 'contact-person', 'both-norwegian-standards', 'links-checked'].map(
  (id) => ({ id, label: id }),
);
const NOTE_ITEM = 'both-norwegian-standards';

const loadChecklist = async (projectId: string, signal: AbortSignal): Promise<ChecklistItem[]> => {
  try {
    const items = itemsOf<ChecklistItem>(await api.get(`${projectPath(projectId)}/checklist`, signal));
    return items.length ? items : DEFAULT_CHECKLIST;
  } catch (e) {
    if (e instanceof ApiError && e.status < 500) return DEFAULT_CHECKLIST;
    throw e;
  }
};

interface Held {
  project: Project;
  round: Round;
  label: RoundLabel;
}

const heldRounds = async (projects: Project[], signal: AbortSignal): Promise<Held[]> => {
  const out: Held[] = [];
  await Promise.all(
    projects.map(async (project) => {
      const rounds = await listRounds(project.projectId, signal).catch(() => [] as Round[]);
      const held = rounds.filter((r) => r.status === 'held');
      const labels = await roundLabels(project.projectId, rounds, held);
      for (const round of held) out.push({ project, round, label: labels.get(round.roundId) ?? {} });
    }),
  );
  return out;
};

export const ReviewQueueScreen = ({ session }: { session: Session }) => {
  const projects = useAsync((s) => listProjects(s), []);
  const mine = (projects.data ?? []).filter((p) => p.organization === session.identity.org);
  const held = useAsync((s) => (projects.data ? heldRounds(mine, s) : Promise.resolve([])), [projects.data]);
  return (
    <section>
      <PageTitle>{t('reviewTitle')}</PageTitle>
      <ErrorBox error={projects.error} />
      {projects.data ? (
        mine.some((p) => p.status === 'in_review') ? (
          <ProjectTable projects={mine.filter((p) => p.status === 'in_review')} linkTo={(p) => `/review/${seg(p.projectId)}`} />
        ) : (
          <p>{t('reviewEmpty')}</p>
        )
      ) : (
        <p>{t('loading')}</p>
      )}
      <section aria-labelledby="held-h">
        <h2 id="held-h">{t('heldRoundsTitle')}</h2>
        <ErrorBox error={held.error} />
        {held.data && held.data.length === 0 ? <p>{t('heldEmpty')}</p> : null}
        {held.data?.map(({ project, round, label }) => (
          <HeldRound key={round.roundId} project={project} round={round} label={label} onDone={held.reload} />
        ))}
      </section>
    </section>
  );
};

const HeldRound = ({ project, round, label, onDone }: { project: Project; round: Round; label: RoundLabel; onDone: () => void }) => {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();
  return (
    <article class="card" aria-labelledby={`held-${round.roundId}`}>
      <h3 id={`held-${round.roundId}`}>
        {project.title} – <Link to={`/projects/${seg(project.projectId)}/rounds/${seg(round.roundId)}`}>{roundName(label, lang.value)}</Link> <StatusBadge status={round.status} prefix="rstatus_" />
      </h3>
      <p>{t('heldExplain')}</p>
      {round.preflight ? <PreflightReport preflight={round.preflight} /> : null}
      <FindingList findings={round.findings ?? []} />
      <RoundPreview projectId={project.projectId} roundId={round.roundId} count={3} level={4} name={roundName(label, lang.value)} />
      <Notice>{notice}</Notice>
      <button type="button" class="primary" onClick={() => setOpen(true)}>
        {t('override')}
      </button>
      <ActionDialog
        open={open}
        title={t('overrideTitle')}
        reasonLabel={t('reason')}
        confirmLabel={t('override')}
        busy={busy}
        error={error}
        onClose={() => setOpen(false)}
        onConfirm={async (reason) => {
          setBusy(true);
          setError(undefined);
          try {
            await api.post(`${projectPath(project.projectId)}/rounds/${seg(round.roundId)}/override`, { reason });
            setOpen(false);
            setNotice(t('overridden'));
            onDone();
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        <FindingList findings={(round.findings ?? []).filter((f) => f.code === 'DUPLICATE_ROUND')} />
      </ActionDialog>
    </article>
  );
};

const LANGS: LetterLang[] = ['nb', 'nn', 'en'];

const asText = (l: Letter | undefined, lang: LetterLang) => {
  const c = l?.content[lang];
  return c ? `${c.subject}\n\n${c.body}` : '';
};

const LetterDiff = ({ projectId, letter }: { projectId: string; letter: Letter }) => {
  const from = letter.approvedVersion && letter.approvedVersion !== letter.version ? letter.approvedVersion : undefined;
  const before = useAsync((s) => (from ? getLetterVersion(projectId, letter.letterId, from, s) : Promise.resolve(undefined)), [projectId, letter.letterId, from]);
  return (
    <article class="card" aria-labelledby={`diff-${letter.letterId}`}>
      <h3 id={`diff-${letter.letterId}`}>
        {letter.title} (v{letter.version}) <StatusBadge status={letter.approval ?? 'pending'} prefix="approval_" />
      </h3>
      <p>{from ? t('diffTitle', { from, to: letter.version }) : t('diffFirst', { to: letter.version })}</p>
      {letter.authoredBy ? <p class="hint">{t('letterAuthoredBy', { by: letter.authoredBy })}</p> : null}
      {from && !before.loading && !before.data ? <p class="hint">{t('diffUnavailable')}</p> : null}
      <div class="languages">
        {LANGS.map((lg) => {
          const lines = diffLines(from && before.data ? asText(before.data, lg) : '', asText(letter, lg));
          return (
            <div key={lg} class="language" lang={lg}>
              <h4>{t(`lang_${lg}`)}</h4>
              {lines.length === 0 ? (
                <p class="hint">{t('emptyPreview')}</p>
              ) : (
                <pre class="diff">
                  {lines.map((d, i) =>
                    d.op === 'same' ? (
                      <span key={i} class="diff-same">{`  ${d.text}\n`}</span>
                    ) : d.op === 'add' ? (
                      <ins key={i} class="diff-add">
                        <span class="visually-hidden">{t('diffAdded')}: </span>
                        {`+ ${d.text}\n`}
                      </ins>
                    ) : (
                      <del key={i} class="diff-del">
                        <span class="visually-hidden">{t('diffRemoved')}: </span>
                        {`− ${d.text}\n`}
                      </del>
                    ),
                  )}
                </pre>
              )}
            </div>
          );
        })}
      </div>
    </article>
  );
};

/**
 * The project's policy for recipients under 16, as the superuser reviews it: what it is, whether a
 * change waits for approval (and by whom it was made), and — for another superuser — the approval.
 * The project's own approval below approves the policy shown here too.
 */
const MinorsPolicyCard = ({ project, session, onChanged }: { project: Project; session: Session; onChanged: () => void }) => {
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const policy = project.settings?.minors ?? 'exclude';
  const state = project.minorsPolicy;
  const pending = state?.pendingApproval === true;
  const approve = async () => {
    setError(undefined);
    try {
      await api.post(`${projectPath(project.projectId)}/settings/approve`, { minors: policy });
      setNotice(t('minorsPolicyApproved'));
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <article class="card" aria-labelledby="minors-h" data-testid="minors-policy">
      <h2 id="minors-h">{t('minorsPolicyTitle')}</h2>
      <p>{t(policy === 'guardians' ? 'minors_guardians' : 'minors_exclude')}</p>
      {pending ? (
        <p class="hint">{t('minorsPending', { policy: t(policy === 'guardians' ? 'minors_guardians' : 'minors_exclude'), by: state?.setBy ?? '–' })}</p>
      ) : state?.approvedBy ? (
        <p class="hint">{t('minorsApprovedBy', { by: state.approvedBy })}</p>
      ) : null}
      <ErrorBox error={error} />
      <Notice>{notice}</Notice>
      {pending && project.status !== 'in_review' && state?.setBy !== session.identity.sub ? (
        <button type="button" onClick={() => void approve()}>
          {t('approveMinorsPolicy')}
        </button>
      ) : null}
    </article>
  );
};

interface GateResult {
  letter: Letter;
  findings: Finding[];
}

/** The automated check of each letter's current version, run live (links probed) as approval will. */
const runGate = async (projectId: string, letters: readonly Letter[]): Promise<{ at: string; results: GateResult[] }> => {
  const results = await Promise.all(
    letters.map(async (letter) => ({
      letter,
      findings: itemsOf<Finding>(await api.post(`${projectPath(projectId)}/letters/${seg(letter.letterId)}/check?version=${letter.version}`), 'findings'),
    })),
  );
  return { at: new Date().toISOString(), results };
};

/**
 * The quality gate's result, above the checklist: the superuser sees what the automated check
 * says before answering the items, not after (QUALITY_CHECK_FAILED on approve).
 */
const QualityGate = ({ gate }: { gate: { data?: { at: string; results: GateResult[] }; error?: unknown; loading: boolean } }) => {
  const results = gate.data?.results ?? [];
  const blocked = results.some((r) => r.findings.some((f) => f.severity === 'error'));
  return (
    <section class="card" aria-labelledby="gate-h" data-testid="quality-gate" data-gate={gate.data ? (blocked ? 'failed' : 'passed') : 'pending'}>
      <h2 id="gate-h">{t('gateTitle')}</h2>
      <ErrorBox error={gate.error} />
      {gate.data ? null : gate.error ? null : <p role="status">{t('gateRunning')}</p>}
      {results.map(({ letter, findings }) => (
        <div key={letter.letterId} data-letter={letter.letterId}>
          <h3>
            {letter.title} (v{letter.version})
          </h3>
          {findings.length === 0 ? <p class="ok">{t('gateLetterOk')}</p> : <FindingList findings={findings} />}
        </div>
      ))}
      {gate.data ? (
        <p class={blocked ? 'warning-box' : 'ok'} role="status" data-testid="gate-verdict">
          {blocked ? t('gateBlocked') : t('gateAllOk')} <span class="hint">{t('gateCheckedAt', { at: formatTime(gate.data.at, lang.value) })}</span>
        </p>
      ) : null}
    </section>
  );
};

export const ReviewScreen = ({ session, projectId }: { session: Session; projectId: string }) => {
  const project = useAsync((s) => getProject(projectId, s), [projectId]);
  const letters = useAsync((s) => listLetters(projectId, s), [projectId]);
  const items = useAsync((s) => loadChecklist(projectId, s), [projectId]);
  const rounds = useAsync((s) => listRounds(projectId, s), [projectId]);
  const labels = useAsync(() => (rounds.data ? roundLabels(projectId, rounds.data) : Promise.resolve(new Map<string, RoundLabel>())), [projectId, rounds.data]);
  const gate = useAsync(() => (letters.data ? runGate(projectId, letters.data) : Promise.resolve(undefined)), [projectId, letters.data]);
  const gateBlocked = (gate.data?.results ?? []).some((r) => r.findings.some((f) => f.severity === 'error'));
  const [checklist, setChecklist] = useState<Record<string, boolean>>({});
  const [notes, setNotes] = useState<Record<string, string>>({});
  const noteOf = (id: string) => (notes[id] ?? '').trim();
  // Every item ticked or with a note; an item that needs a reason takes only a note.
  const answerOf = (item: ChecklistItem): true | string | undefined => (item.noteRequired ? noteOf(item.id) || undefined : checklist[item.id] ? true : noteOf(item.id) || undefined);
  const checklistItems = items.data ?? [];
  const complete = checklistItems.length > 0 && checklistItems.every((i) => answerOf(i) !== undefined);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);

  const answers = (): Record<string, boolean | string> => {
    const out: Record<string, boolean | string> = {};
    for (const item of items.data ?? DEFAULT_CHECKLIST) out[item.id] = answerOf(item) ?? false;
    return out;
  };

  const decide = async (what: 'approve' | 'reject') => {
    setError(undefined);
    if (what === 'reject' && !comment.trim()) {
      setError(new Error(t('commentRequired')));
      return;
    }
    setBusy(true);
    try {
      // Approve is only enabled with every item answered; the platform checks the same
      // (CHECKLIST_INCOMPLETE) and its refusal is shown if the two ever disagree.
      const body = what === 'approve' ? { ...(comment.trim() ? { comment: comment.trim() } : {}), checklist: answers() } : { comment: comment.trim() };
      await api.post(`${projectPath(projectId)}/${what}`, body);
      setNotice(what === 'approve' ? t('approved') : t('rejected'));
      project.reload();
      letters.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const approveVersion = async (l: Letter) => {
    setError(undefined);
    try {
      // A single version is approved on the same mandatory checklist as the project.
      await api.post(`${projectPath(projectId)}/letters/${seg(l.letterId)}/approve`, { version: l.version, ...(comment.trim() ? { comment: comment.trim() } : {}), checklist: answers() });
      setNotice(t('versionApproved', { v: l.version }));
      letters.reload();
    } catch (e) {
      setError(e);
    }
  };

  const p = project.data;
  return (
    <section class="wide">
      <p>
        <Link to="/review">← {t('reviewTitle')}</Link>
      </p>
      <PageTitle>{t('reviewProjectTitle', { title: p?.title ?? '…' })}</PageTitle>
      <ErrorBox error={project.error ?? letters.error} />
      {p ? (
        <p class="summary">
          <span>
            {t('colStatus')}: <StatusBadge status={p.status} />
          </span>
          <span>
            {t('colOrg')}: {p.organization}
          </span>
          <span>
            <Link to={`/projects/${seg(projectId)}`}>
              {t('roundsTitle')} / {t('auditTitle')}
            </Link>
          </span>
        </p>
      ) : null}
      {p ? <MinorsPolicyCard project={p} session={session} onChanged={project.reload} /> : null}
      <h2>{t('lettersTitle')}</h2>
      {letters.data?.map((l) => (
        <div key={l.letterId}>
          <LetterDiff projectId={projectId} letter={l} />
          {l.approval !== 'approved' && p?.status === 'approved' ? (
            <button type="button" disabled={!complete} aria-describedby={complete ? undefined : 'ck-incomplete'} onClick={() => void approveVersion(l)}>
              {t('approveVersion', { v: l.version })}
            </button>
          ) : null}
        </div>
      ))}
      <section class="card" aria-labelledby="review-preview-h">
        <h2 id="review-preview-h">{t('roundPreviewTitle')}</h2>
        {rounds.data && rounds.data.filter((r) => r.status === 'ready' || r.status === 'held').length === 0 ? <p class="hint">{t('previewNoRounds')}</p> : null}
        {rounds.data
          ?.filter((r) => r.status === 'ready' || r.status === 'held')
          .map((r) => (
            <div key={r.roundId}>
              <p>
                <Link to={`/projects/${seg(projectId)}/rounds/${seg(r.roundId)}`}>{roundName(labels.data?.get(r.roundId) ?? {}, lang.value)}</Link> <StatusBadge status={r.status} prefix="rstatus_" />
              </p>
              <RoundPreview projectId={projectId} roundId={r.roundId} count={3} level={3} name={roundName(labels.data?.get(r.roundId) ?? {}, lang.value)} />
            </div>
          ))}
      </section>
      <QualityGate gate={{ data: gate.data ?? undefined, error: gate.error, loading: gate.loading }} />
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (gateBlocked) return;
          void decide('approve');
        }}
      >
        <fieldset>
          <legend>{t('checklistTitle')}</legend>
          {checklistItems.map((item) => (
            <div key={item.id}>
              {item.noteRequired ? (
                <p class="warning-box">
                  {tk(`ck_${item.id}`, item.label)}: {t('checklistReasonRequired')}
                </p>
              ) : (
                <div class="field check">
                  <input id={`ck-${item.id}`} type="checkbox" checked={!!checklist[item.id]} onChange={(e) => setChecklist((c) => ({ ...c, [item.id]: e.currentTarget.checked }))} />
                  <label for={`ck-${item.id}`}>{tk(`ck_${item.id}`, item.label)}</label>
                </div>
              )}
              {item.noteRequired || !checklist[item.id] ? (
                <Field label={item.noteRequired || item.id === NOTE_ITEM ? t('checklistNote') : `${tk(`ck_${item.id}`, item.label)} – ${t('checklistItemNote')}`}>
                  {(p) => (
                    <input
                      {...p}
                      required={item.noteRequired}
                      value={notes[item.id] ?? ''}
                      onInput={(e) => {
                        const v = e.currentTarget.value;
                        setNotes((n) => ({ ...n, [item.id]: v }));
                      }}
                    />
                  )}
                </Field>
              ) : null}
            </div>
          ))}
        </fieldset>
        <Field label={t('comment')}>{(p) => <textarea {...p} rows={3} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />}</Field>
        {complete ? null : (
          <p class="hint" id="ck-incomplete">
            {t('checklistIncompleteHint')}
          </p>
        )}
        <ErrorBox error={error} labels={Object.fromEntries((items.data ?? DEFAULT_CHECKLIST).map((i) => [i.id, i.label]))} />
        <Notice>{notice}</Notice>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !complete || gateBlocked} aria-describedby={gateBlocked ? 'gate-h' : complete ? undefined : 'ck-incomplete'}>
            {t('approve')}
          </button>
          <button type="button" disabled={busy} onClick={() => void decide('reject')}>
            {t('reject')}
          </button>
        </div>
      </form>
    </section>
  );
};
