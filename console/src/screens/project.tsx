import { useEffect, useRef, useState } from 'preact/hooks';
import { BRAKE_LIMITS } from '../../../functions/domain/projects/project.js';
import { api, ApiError, seg, type Finding, type ListUpload, type Letter, type Project, type Round } from '../api';
import type { BrakeSettings } from '../api-types';
import {
  actorLabel,
  auditSentence,
  BRAKE_KEYS,
  brakeChanges,
  brakeHint,
  brakeInput,
  brakeInputErrors,
  brakeLabel,
  brakeSummary,
  fieldErrorText,
  formatCount,
  formatTime,
  roundName,
  roundNumbers,
  type BrakeInput,
} from '../format';

const LIVE = new Set(['dispatching', 'canary_hold', 'paused', 'scheduled']);
import { getAudit, getProject, listFormTasks, listLetters, listLists, listRounds, projectPath, type KnownList } from '../data';
import { lang, t, tk } from '../i18n';
import { remember, type Session } from '../session';
import { Count, ErrorBox, Field, fieldError, Link, navigate, Notice, PageTitle, Progress, StatusBadge, useAsync, usePoll } from '../ui';
import { FindingList, rememberRound } from './round';

export const ProjectScreen = ({ session, projectId }: { session: Session; projectId: string }) => {
  const project = useAsync((s) => getProject(projectId, s), [projectId]);
  const letters = useAsync((s) => listLetters(projectId, s), [projectId]);
  const rounds = useAsync((s) => listRounds(projectId, s), [projectId]);
  // Progress moves without reloading while a round is being sent.
  const anyLive = (rounds.data ?? []).some((r) => LIVE.has(r.status));
  usePoll(async () => rounds.set(await listRounds(projectId)), 2000, anyLive);
  const lists = useAsync((s) => listLists(projectId, s), [projectId]);
  const [notice, setNotice] = useState<string>();
  /** The check's errors that stop a submit, per letter. */
  const [blocking, setBlocking] = useState<{ title: string; findings: Finding[] }[]>([]);
  const [error, setError] = useState<unknown>();
  const researcher = session.identity.role === 'researcher';
  const p = project.data;

  return (
    <section>
      <p>
        <Link to="/projects">← {t('projectsTitle')}</Link>
      </p>
      <PageTitle>{p ? p.title : t('loading')}</PageTitle>
      <ErrorBox error={project.error} />
      {p ? (
        <div class="summary">
          <span>
            {t('colStatus')}: <StatusBadge status={p.status} />
          </span>
          <span>
            {t('colOrg')}: {p.organization}
          </span>
          <span>
            {t('colPurpose')}: {tk(`purpose_${p.purpose}`, p.purpose)}
          </span>
          {p.allowedLinkDomains?.length ? (
            <span>
              {t('allowedDomains')}: {p.allowedLinkDomains.join(', ')}
            </span>
          ) : null}
          {p.status === 'paused' ? (
            <span>
              {t('status_paused')} {formatTime(p.pausedAt, lang.value)} – {p.pauseReason}
            </span>
          ) : p.pausedInAnotherRegion ? (
            <span data-testid="paused-in-another-region">{t('pausedInAnotherRegion')}</span>
          ) : null}
        </div>
      ) : null}
      {p && researcher && (p.status === 'draft' || p.status === 'changes_requested') ? (
        <p>
          <button
            type="button"
            class="primary"
            onClick={async () => {
              setError(undefined);
              setBlocking([]);
              try {
                // The console submits only letters whose check has no errors: the superuser
                // should not learn of them after the whole checklist (QUALITY_CHECK_FAILED).
                const checked = await Promise.all(
                  (letters.data ?? []).map(async (l) => ({
                    title: l.title,
                    findings: (await api.post<{ findings: Finding[] }>(`${projectPath(projectId)}/letters/${seg(l.letterId)}/check`)).findings.filter((f) => f.severity === 'error'),
                  })),
                );
                const failing = checked.filter((c) => c.findings.length > 0);
                if (failing.length) {
                  setBlocking(failing);
                  setError(new Error(t('submitBlockedByCheck', { title: failing.map((c) => c.title).join('», «') })));
                  return;
                }
                await api.post(`${projectPath(projectId)}/submit`);
                setNotice(t('submitted'));
                project.reload();
              } catch (e) {
                setError(e);
              }
            }}
          >
            {t('submitForReview')}
          </button>
        </p>
      ) : null}
      <Notice>{notice}</Notice>
      <ErrorBox error={error} />
      {blocking.map((b) => (
        <div key={b.title} data-testid="submit-blocked">
          <h3>{b.title}</h3>
          <FindingList findings={b.findings} />
        </div>
      ))}
      {p && researcher ? <LinkDomainsForm projectId={projectId} current={p.allowedLinkDomains ?? []} approved={p.status === 'approved'} onSaved={project.reload} /> : null}
      {p?.brake ? <BrakeSection projectId={projectId} brake={p.brake} canEdit={session.identity.role === 'superuser'} onSaved={project.set} /> : null}

      <LettersSection projectId={projectId} letters={letters.data} error={letters.error} canEdit={researcher} />
      {researcher ? <FormTasksSection projectId={projectId} /> : null}
      {researcher ? <ListsSection projectId={projectId} known={lists.data ?? []} onUploaded={lists.reload} /> : null}
      <RoundsSection
        projectId={projectId}
        lists={lists.data ?? []}
        project={p}
        rounds={rounds.data}
        error={rounds.error}
        letters={letters.data ?? []}
        canCreate={researcher}
        onChange={rounds.reload}
      />
      <AuditSection projectId={projectId} />
    </section>
  );
};

const LettersSection = ({ projectId, letters, error, canEdit }: { projectId: string; letters?: Letter[]; error: unknown; canEdit: boolean }) => (
  <section aria-labelledby="letters-h">
    <h2 id="letters-h">{t('lettersTitle')}</h2>
    <ErrorBox error={error} />
    {letters && letters.length === 0 ? <p>{t('lettersEmpty')}</p> : null}
    {letters && letters.length > 0 ? (
      <table>
        <thead>
          <tr>
            <th scope="col">{t('colTitle')}</th>
            <th scope="col">{t('kind')}</th>
            <th scope="col">{t('colVersion')}</th>
            <th scope="col">{t('colApproval')}</th>
          </tr>
        </thead>
        <tbody>
          {letters.map((l) => (
            <tr key={l.letterId}>
              <th scope="row">
                <Link to={`/projects/${seg(projectId)}/letters/${seg(l.letterId)}`}>{l.title}</Link>
              </th>
              <td>{tk(`kind_${l.kind}`, l.kind)}</td>
              <td>{l.version}</td>
              <td>
                <StatusBadge status={l.approval ?? 'pending'} prefix="approval_" />
                {l.approvedVersion && l.approvedVersion !== l.version ? ` (${t('approvedVersionShort', { v: l.approvedVersion })})` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    ) : null}
    {canEdit ? (
      <p>
        <Link to={`/projects/${seg(projectId)}/letters/new`} class="button">
          {t('newLetter')}
        </Link>
      </p>
    ) : null}
  </section>
);

const FormTasksSection = ({ projectId }: { projectId: string }) => {
  const tasks = useAsync((s) => listFormTasks(projectId, s), [projectId]);
  const known = tasks.data ?? [];
  const [title, setTitle] = useState('');
  const [type, setType] = useState<'external' | 'internal'>('internal');
  const [url, setUrl] = useState('');
  const [question, setQuestion] = useState('');
  const [qtype, setQtype] = useState<'text' | 'choice' | 'scale'>('text');
  const [options, setOptions] = useState('');
  const [deadline, setDeadline] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [secret, setSecret] = useState<string>();
  return (
    <section aria-labelledby="ft-h">
      {secret ? (
        <div class="warning-box" role="status">
          <p>{t('callbackSecretOnce')}</p>
          <p>
            <code data-testid="callback-secret">{secret}</code>
          </p>
        </div>
      ) : null}
      <h2 id="ft-h">{t('formTasksTitle')}</h2>
      {known.length ? (
        <ul>
          {known.map((f) => (
            <li key={f.formTaskId}>
              {f.title} – <Link to={`/projects/${seg(projectId)}/form-tasks/${seg(f.formTaskId)}`}>{t('responses')}</Link>
              {f.completed !== undefined ? <span class="hint"> · {t('formCompleted', { n: formatCount(f.completed, lang.value) })}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <details>
        <summary>{t('newFormTask')}</summary>
        <form
          class="card"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(undefined);
            const form =
              type === 'external'
                ? { type, url }
                : {
                    type,
                    questions: [
                      {
                        id: 'q1',
                        text: { nb: question },
                        type: qtype,
                        required: true,
                        ...(qtype === 'choice'
                          ? {
                              options: options
                                .split(',')
                                .map((o) => o.trim())
                                .filter(Boolean),
                            }
                          : {}),
                      },
                    ],
                  };
            try {
              const ft = await api.post<{ formTaskId: string; callbackSecret?: string }>(`${projectPath(projectId)}/form-tasks`, {
                title,
                form,
                ...(deadline ? { deadlineDays: Number(deadline) } : {}),
              });
              remember(projectId, (r) => r.formTasks.push({ formTaskId: ft.formTaskId, title }));
              tasks.reload();
              setNotice(t('formTaskCreated'));
              // Shown this once: the platform keeps only what it needs to verify callbacks.
              setSecret(ft.callbackSecret);
              setTitle('');
            } catch (err) {
              setError(err);
            }
          }}
        >
          <Field label={t('formTaskTitle')} error={fieldError(error, 'title')}>
            {(p) => <input {...p} required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />}
          </Field>
          <Field label={t('formType')} error={fieldError(error, 'form.type')}>
            {(p) => (
              <select {...p} value={type} onChange={(e) => setType(e.currentTarget.value as 'external' | 'internal')}>
                <option value="internal">{t('formType_internal')}</option>
                <option value="external">{t('formType_external')}</option>
              </select>
            )}
          </Field>
          {type === 'external' ? (
            <Field label={t('formUrl')} error={fieldError(error, 'form.url', 'form')}>
              {(p) => <input {...p} type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />}
            </Field>
          ) : (
            <>
              <Field label={t('questionText')} error={fieldError(error, 'form.questions', 'form')}>
                {(p) => <input {...p} required value={question} onInput={(e) => setQuestion(e.currentTarget.value)} />}
              </Field>
              <Field label={t('questionType')}>
                {(p) => (
                  <select {...p} value={qtype} onChange={(e) => setQtype(e.currentTarget.value as 'text' | 'choice' | 'scale')}>
                    <option value="text">{t('qtype_text')}</option>
                    <option value="choice">{t('qtype_choice')}</option>
                    <option value="scale">{t('qtype_scale')}</option>
                  </select>
                )}
              </Field>
              {qtype === 'choice' ? <Field label={t('questionOptions')}>{(p) => <input {...p} value={options} onInput={(e) => setOptions(e.currentTarget.value)} />}</Field> : null}
            </>
          )}
          <Field label={t('deadlineDays')} error={fieldError(error, 'deadlineDays')}>
            {(p) => <input {...p} type="number" min={1} inputMode="numeric" value={deadline} onInput={(e) => setDeadline(e.currentTarget.value)} />}
          </Field>
          <ErrorBox error={error} />
          <Notice>{notice}</Notice>
          <button type="submit" class="primary">
            {t('createFormTask')}
          </button>
        </form>
      </details>
    </section>
  );
};

const ListsSection = ({ projectId, known, onUploaded }: { projectId: string; known: KnownList[]; onUploaded: () => void }) => {
  const [file, setFile] = useState<File>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<ListUpload>();

  const upload = async () => {
    if (!file) {
      setError(new ApiError(400, 'VALIDATION_FAILED', t('noFile'), [{ field: 'file', message: t('noFile') }]));
      return;
    }
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      let res: ListUpload;
      if (file.size > 10 * 1024 * 1024 - 4096) {
        // Above the API's request limit: presigned upload to the bucket, then register the object.
        const { objectKey, uploadUrl } = await api.post<{ objectKey: string; uploadUrl: string }>(`${projectPath(projectId)}/recipient-lists/upload-url`);
        const put = await fetch(uploadUrl, { method: 'PUT', body: file, headers: { 'content-type': 'text/csv' } });
        if (!put.ok) throw new ApiError(put.status, 'UPLOAD_FAILED', put.statusText);
        res = await api.post<ListUpload>(`${projectPath(projectId)}/recipient-lists`, { objectKey });
      } else {
        res = await api.text<ListUpload>('POST', `${projectPath(projectId)}/recipient-lists`, await file.text(), 'text/csv');
      }
      setResult(res);
      remember(projectId, (r) => r.lists.unshift({ listId: res.listId, rows: res.rows, accepted: res.accepted, name: file.name }));
      onUploaded();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="lists-h">
      <h2 id="lists-h">{t('listsTitle')}</h2>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void upload();
        }}
      >
        <Field label={t('uploadList')} hint={t('uploadListHint')} error={fieldError(error, 'file')}>
          {(p) => <input {...p} type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.currentTarget.files?.[0])} />}
        </Field>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('uploading') : t('upload')}
        </button>
      </form>
      <ErrorBox error={error} />
      <div role="status" aria-live="polite">
        {result ? (
          <div class="card list-result">
            <p>
              {t('listResult', {
                listId: result.listId,
                rows: formatCount(result.rows, lang.value),
                accepted: formatCount(result.accepted, lang.value),
                rejected: formatCount(result.rejected.length, lang.value),
                dups: formatCount(result.duplicatesInList, lang.value),
              })}
            </p>
            {result.rejected.length > 0 ? (
              <table>
                <caption>{t('rejectedRows')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('colRow')}</th>
                    <th scope="col">{t('colCode')}</th>
                    <th scope="col">{t('colMessage')}</th>
                  </tr>
                </thead>
                <tbody>
                  {result.rejected.slice(0, 500).map((r) => (
                    <tr key={r.row}>
                      <th scope="row">{r.row}</th>
                      <td>
                        <code>{r.code}</code>
                      </td>
                      <td>{r.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </div>
        ) : null}
      </div>
      {known.length ? (
        <>
          <h3>{t('knownLists')}</h3>
          <ul>
            {known.map((l) => (
              <li key={l.listId}>
                <code>{l.listId}</code> {l.name ? `(${l.name})` : ''} – <Count n={l.accepted} /> / <Count n={l.rows} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
};

const RoundsSection = ({
  projectId,
  project,
  lists,
  rounds,
  error,
  letters,
  canCreate,
  onChange,
}: {
  projectId: string;
  project?: Project;
  lists: KnownList[];
  rounds?: Round[];
  error: unknown;
  letters: Letter[];
  canCreate: boolean;
  onChange: () => void;
}) => {
  const [letterId, setLetterId] = useState('');
  const [version, setVersion] = useState('');
  const [listIdChoice, setListId] = useState('');
  const listId = listIdChoice || lists[0]?.listId || '';
  const [canary, setCanary] = useState('');
  const [onlyNon, setOnlyNon] = useState(false);
  const [err, setErr] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const chosenLetter = letterId || letters[0]?.letterId || '';
  const numbers = roundNumbers(rounds ?? []);
  return (
    <section aria-labelledby="rounds-h">
      <h2 id="rounds-h">{t('roundsTitle')}</h2>
      <ErrorBox error={error} />
      {rounds && rounds.length === 0 ? <p>{t('roundsEmpty')}</p> : null}
      {rounds && rounds.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('colRound')}</th>
              <th scope="col">{t('letter')}</th>
              <th scope="col">{t('colStatus')}</th>
              <th scope="col">{t('colProgress')}</th>
            </tr>
          </thead>
          <tbody>
            {rounds.map((r) => (
              <tr key={r.roundId}>
                <th scope="row">
                  <Link to={`/projects/${seg(projectId)}/rounds/${seg(r.roundId)}`}>
                    {roundName(
                      {
                        number: numbers.get(r.roundId),
                        letterTitle: letters.find((l) => l.letterId === r.letterId)?.title,
                        version: r.letterVersion,
                        recipients: r.counts?.planned ?? r.preflight?.total,
                      },
                      lang.value,
                    )}
                  </Link>
                </th>
                <td>
                  {letters.find((l) => l.letterId === r.letterId)?.title ?? r.letterId ?? '–'}
                  {r.letterVersion ? ` v${r.letterVersion}` : ''}
                </td>
                <td>
                  <StatusBadge status={r.status} prefix="rstatus_" />
                </td>
                <td>{r.counts ? <Progress counts={r.counts} label={`${t('progress')} ${numbers.get(r.roundId) ?? r.roundId}`} /> : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {canCreate ? (
        <form
          class="card"
          aria-labelledby="new-round-h"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setErr(undefined);
            try {
              const body: Record<string, unknown> = { letterId: chosenLetter, listId };
              if (version) body.letterVersion = Number(version);
              if (canary) body.canary = { size: Number(canary) };
              if (onlyNon) body.onlyNonResponders = true;
              const round = await api.post<Round>(`${projectPath(projectId)}/rounds`, body);
              const letter = letters.find((l) => l.letterId === chosenLetter);
              const accepted = lists.find((l) => l.listId === listId)?.accepted;
              rememberRound({
                ...round,
                letterId: round.letterId ?? chosenLetter,
                letterVersion: round.letterVersion ?? (version ? Number(version) : letter?.version),
                listId: round.listId ?? listId,
                // A round prepared in the background (202) is only named in the answer: its page
                // shows "0 of <the list's size>" until its first read, never "0 of 0".
                ...(round.status === 'preparing' && !round.preparation && accepted !== undefined ? { preparation: { checked: 0, total: accepted } } : {}),
              });
              onChange();
              navigate(`/projects/${seg(projectId)}/rounds/${seg(round.roundId)}`);
            } catch (ex) {
              setErr(ex);
            } finally {
              setBusy(false);
            }
          }}
        >
          <h3 id="new-round-h">{t('newRound')}</h3>
          {project?.status === 'paused' ? <p class="hint">{t('status_paused')}</p> : null}
          <Field label={t('letter')} error={fieldError(err, 'letterId')}>
            {(p) => (
              <select {...p} required value={chosenLetter} onChange={(e) => setLetterId(e.currentTarget.value)}>
                <option value="" disabled>
                  {t('chooseLetter')}
                </option>
                {letters.map((l) => (
                  <option key={l.letterId} value={l.letterId}>
                    {l.title} (v{l.version})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('letterVersion')} error={fieldError(err, 'letterVersion')}>
            {(p) => <input {...p} type="number" min={1} inputMode="numeric" value={version} onInput={(e) => setVersion(e.currentTarget.value)} />}
          </Field>
          <Field label={t('list')} error={fieldError(err, 'listId')}>
            {(p) =>
              lists.length ? (
                <select {...p} required value={listId} onChange={(e) => setListId(e.currentTarget.value)}>
                  {lists.map((l) => (
                    <option key={l.listId} value={l.listId}>
                      {l.name ? `${l.name} – ` : ''}
                      {l.listId} ({l.accepted})
                    </option>
                  ))}
                </select>
              ) : (
                <input {...p} required value={listId} onInput={(e) => setListId(e.currentTarget.value)} />
              )
            }
          </Field>
          <Field label={t('canarySize')} error={fieldError(err, 'canary', 'canary.size')}>
            {(p) => <input {...p} type="number" min={1} inputMode="numeric" value={canary} onInput={(e) => setCanary(e.currentTarget.value)} />}
          </Field>
          <div class="field check">
            <input id="only-non" type="checkbox" checked={onlyNon} onChange={(e) => setOnlyNon(e.currentTarget.checked)} />
            <label for="only-non">{t('onlyNonResponders')}</label>
          </div>
          <ErrorBox error={err} />
          <button type="submit" class="primary" disabled={busy || !chosenLetter || !listId}>
            {t('createRound')}
          </button>
        </form>
      ) : null}
    </section>
  );
};

const AuditSection = ({ projectId }: { projectId: string }) => {
  const [open, setOpen] = useState(false);
  const audit = useAsync((s) => (open ? getAudit(projectId, s) : Promise.resolve(undefined)), [projectId, open]);
  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">{t('auditTitle')}</h2>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>{t('showAudit')}</summary>
        <ErrorBox error={audit.error} />
        {audit.data ? (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('colAt')}</th>
                <th scope="col">{t('colActor')}</th>
                <th scope="col">{t('colAction')}</th>
                <th scope="col">{t('colDetails')}</th>
              </tr>
            </thead>
            <tbody>
              {audit.data.map((ev, i) => (
                <tr key={i}>
                  <td>{formatTime(ev.at, lang.value)}</td>
                  <td>{actorLabel(ev.actor, lang.value, ev.actorName)}</td>
                  <td data-action={ev.action}>{auditSentence(ev, lang.value)}</td>
                  <td>
                    {/* The raw record stays one click away, for the auditor. */}
                    {ev.details ? (
                      <details>
                        <summary>{t('auditRaw')}</summary>
                        <code class="wrap">{JSON.stringify(ev.details)}</code>
                      </details>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </details>
    </section>
  );
};

/**
 * The project's allowed link domains. The platform judges them with the public suffix list (400
 * for `com`, `no`, `co.uk`, …) and sends an approved project back to review when they change.
 */
const LinkDomainsForm = ({ projectId, current, approved, onSaved }: { projectId: string; current: readonly string[]; approved: boolean; onSaved: () => void }) => {
  const [value, setValue] = useState(current.join(', '));
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="card"
      aria-labelledby="domains-h"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        setNotice(undefined);
        try {
          const allowedLinkDomains = value
            .split(/[\s,]+/)
            .map((d) => d.trim())
            .filter(Boolean);
          const res = await api.put<{ approvalReset?: boolean }>(`${projectPath(projectId)}/link-domains`, { allowedLinkDomains });
          setNotice(res.approvalReset ? t('domainsSavedReview') : t('domainsSaved'));
          onSaved();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="domains-h">{t('allowedDomains')}</h2>
      {approved ? <p class="hint">{t('domainsChangeNeedsApproval')}</p> : null}
      <Field label={t('domainsLabel')}>{(fp) => <input {...fp} value={value} onInput={(e) => setValue(e.currentTarget.value)} />}</Field>
      <ErrorBox error={error} />
      <Notice>{notice}</Notice>
      <button type="submit" disabled={busy}>
        {t('save')}
      </button>
    </form>
  );
};

/**
 * The automatic brake (docs/api-additions.md): in words for every staff role; the organisation's
 * superuser changes it here (PUT …/settings {brake}, naming only what changed), checked against
 * the server's bounds before it is sent.
 */
const BrakeSection = ({ projectId, brake, canEdit, onSaved }: { projectId: string; brake: BrakeSettings; canEdit: boolean; onSaved: (p: Project) => void }) => {
  const [values, setValues] = useState<BrakeInput>(() => brakeInput(brake));
  const [invalid, setInvalid] = useState<Partial<Record<keyof BrakeSettings, string>>>({});
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  // After a refused submit the focus goes to the first field to fix, for a keyboard user.
  const formRef = useRef<HTMLFormElement>(null);
  const [refused, setRefused] = useState(0);
  useEffect(() => {
    if (refused) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [refused]);
  return (
    <section aria-labelledby="brake-h">
      <h2 id="brake-h">{t('brakeTitle')}</h2>
      <p data-testid="brake-summary">{brakeSummary(brake, lang.value)}</p>
      <p class="hint">{t('brakeExplain')}</p>
      {canEdit ? (
        <details>
          <summary>{t('brakeEdit')}</summary>
          <form
            ref={formRef}
            class="card"
            noValidate
            onSubmit={async (e) => {
              e.preventDefault();
              setNotice(undefined);
              setError(undefined);
              const errors = brakeInputErrors(values, lang.value);
              setInvalid(errors);
              if (Object.keys(errors).length > 0) {
                setRefused((n) => n + 1);
                return;
              }
              const change = brakeChanges(brake, values);
              if (Object.keys(change).length === 0) {
                setNotice(t('brakeUnchanged'));
                return;
              }
              setBusy(true);
              try {
                const saved = await api.put<Project>(`${projectPath(projectId)}/settings`, { brake: change });
                if (saved.brake) setValues(brakeInput(saved.brake));
                setNotice(t('brakeSaved'));
                onSaved(saved);
              } catch (err) {
                setError(err);
                setRefused((n) => n + 1);
              } finally {
                setBusy(false);
              }
            }}
          >
            {BRAKE_KEYS.map((k) => {
              const { min, max, integer } = BRAKE_LIMITS[k];
              const server = fieldError(error, `brake.${k}`);
              return (
                <Field key={k} label={brakeLabel(k, lang.value)} hint={brakeHint(k, lang.value)} error={invalid[k] ?? (server ? fieldErrorText(`brake.${k}`, server, lang.value) : undefined)}>
                  {(fp) => (
                    <input
                      {...fp}
                      type="number"
                      required
                      min={min}
                      max={max}
                      step={integer ? 1 : 'any'}
                      inputMode={integer ? 'numeric' : 'decimal'}
                      value={values[k]}
                      onInput={(e) => {
                        const typed = e.currentTarget.value;
                        setValues((old) => ({ ...old, [k]: typed }));
                      }}
                    />
                  )}
                </Field>
              );
            })}
            <ErrorBox error={error} />
            <button type="submit" class="primary" disabled={busy}>
              {t('brakeSave')}
            </button>
          </form>
        </details>
      ) : null}
      <Notice>{notice}</Notice>
    </section>
  );
};
