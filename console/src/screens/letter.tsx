import { useEffect, useState } from 'preact/hooks';
import { api, seg, type Finding, type Letter, type LetterContent, type Project } from '../api';
import { parseFields, tokenize, undeclaredPlaceholders, type LetterLang } from '../format';
import { previewLetter } from '../render';
import { getLetter, getProject, listFormTasks, projectPath } from '../data';
import { t } from '../i18n';
import { remember, type Session } from '../session';
import { ErrorBox, Field, fieldError, Link, navigate, Notice, PageTitle, StatusBadge, useAsync } from '../ui';
import { FindingList } from './round';

const LANGS: LetterLang[] = ['nb', 'nn', 'en'];
type Content = Record<LetterLang, LetterContent>;
const EMPTY: Content = { nb: { subject: '', body: '' }, nn: { subject: '', body: '' }, en: { subject: '', body: '' } };

/** The letter text as the citizen will read it: text nodes only, never markup from the letter. */
export const LetterPreview = ({ lang: l, content, kind, project, findings }: { lang: LetterLang; content: LetterContent; kind: 'letter' | 'form-task'; project?: Project; findings: Finding[] }) => {
  const flagged = new Map<string, Finding>();
  for (const f of findings) if (f.link && (!f.language || f.language === l)) flagged.set(f.link, f);
  const empty = !content.subject.trim() && !content.body.trim();
  const rendered = previewLetter(empty ? { subject: '', body: '' } : content, kind, l, { organization: project?.organization ?? '…', title: project?.title ?? '…' });
  return (
    <div class="preview" lang={l === 'en' ? 'en' : l} aria-label={`${t('preview')} – ${t(`lang_${l}`)}`} role="region">
      {empty ? (
        <p class="hint">{t('emptyPreview')}</p>
      ) : (
        <>
          <p class="preview-subject">{rendered.subject}</p>
          <div class="preview-body">
            {tokenize(rendered.body).map((tok, i) => {
              if (tok.kind === 'placeholder') {
                return (
                  <span key={i} class="placeholder" title={t('placeholderNote')}>
                    {tok.text}
                  </span>
                );
              }
              if (tok.kind === 'link') {
                const f = flagged.get(tok.text);
                if (f) {
                  return (
                    <mark key={i} class={`bad-link bad-link-${f.severity}`} data-finding={f.code}>
                      {tok.text}
                      <span class="visually-hidden"> ({f.code === 'BROKEN_LINK' ? t('brokenLinkMark') : `${t('flaggedLinkMark')}: ${f.code}`})</span>
                    </mark>
                  );
                }
                return (
                  <span key={i} class="link">
                    {tok.text}
                  </span>
                );
              }
              return <span key={i}>{tok.text}</span>;
            })}
          </div>
        </>
      )}
      <div class="preview-footer">
        <p class="hint">{t('footerNote')}</p>
        <p class="footer-text">{rendered.footer}</p>
      </div>
    </div>
  );
};

export const LetterScreen = ({ session, projectId, letterId }: { session: Session; projectId: string; letterId?: string }) => {
  const project = useAsync((s) => getProject(projectId, s), [projectId]);
  const loaded = useAsync((s) => (letterId ? getLetter(projectId, letterId, s) : Promise.resolve(undefined)), [projectId, letterId]);
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<'letter' | 'form-task'>('letter');
  const [formTaskId, setFormTaskId] = useState('');
  const [content, setContent] = useState<Content>(EMPTY);
  /** The declared merge fields as typed ("fornavn, klinikk"); sent as `fields`. */
  const [fieldsText, setFieldsText] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [check, setCheck] = useState<{ ok: boolean; findings: Finding[] }>();
  const [checking, setChecking] = useState(false);
  const canEdit = session.identity.role === 'researcher';
  const formTasks = useAsync((s) => listFormTasks(projectId, s), [projectId]).data ?? [];

  useEffect(() => {
    const l = loaded.data;
    if (!l) return;
    setTitle(l.title);
    setKind(l.kind);
    setFormTaskId(l.formTaskId ?? '');
    setFieldsText(((l as Letter & { fields?: string[] }).fields ?? []).join(', '));
    setContent({
      nb: l.content.nb ?? { subject: '', body: '' },
      nn: l.content.nn ?? { subject: '', body: '' },
      en: l.content.en ?? { subject: '', body: '' },
    });
  }, [loaded.data]);

  const setPart = (l: LetterLang, part: keyof LetterContent, value: string) => setContent((c) => ({ ...c, [l]: { ...c[l], [part]: value } }));

  const payloadContent = () => {
    const out: Partial<Content> = {};
    for (const l of LANGS) {
      const c = content[l];
      // nb is always sent (required); nn and en only when written.
      if (l === 'nb' || c.subject.trim() || c.body.trim()) out[l] = { subject: c.subject, body: c.body };
    }
    return out;
  };

  const parsed = parseFields(fieldsText);
  const undeclared = undeclaredPlaceholders(content, parsed.fields);

  const save = async () => {
    if (parsed.invalid.length) {
      setError(new Error(t('fieldsInvalid', { names: parsed.invalid.join(', ') })));
      return;
    }
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      let saved: Letter;
      if (letterId) {
        saved = await api.put<Letter>(`${projectPath(projectId)}/letters/${seg(letterId)}`, { title, content: payloadContent(), fields: parsed.fields });
        loaded.set(saved);
      } else {
        saved = await api.post<Letter>(`${projectPath(projectId)}/letters`, {
          title,
          kind,
          ...(kind === 'form-task' && formTaskId ? { formTaskId } : {}),
          fields: parsed.fields,
          content: payloadContent(),
        });
        remember(projectId, (r) => {
          if (!r.letters.includes(saved.letterId)) r.letters.push(saved.letterId);
        });
        navigate(`/projects/${seg(projectId)}/letters/${seg(saved.letterId)}`);
      }
      setNotice(t('saved', { v: saved.version }));
      setCheck(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const runCheck = async () => {
    if (!letterId) return;
    setChecking(true);
    setError(undefined);
    try {
      setCheck(await api.post<{ ok: boolean; findings: Finding[] }>(`${projectPath(projectId)}/letters/${seg(letterId)}/check`));
    } catch (e) {
      setError(e);
    } finally {
      setChecking(false);
    }
  };

  const findings = check?.findings ?? [];
  const l = loaded.data;
  return (
    <section class="wide">
      <p>
        <Link to={`/projects/${seg(projectId)}`}>← {project.data?.title ?? t('back')}</Link>
      </p>
      <PageTitle>{letterId ? t('editLetterTitle', { title: l?.title ?? '…' }) : t('newLetterTitle')}</PageTitle>
      <ErrorBox error={loaded.error ?? project.error} />
      {l ? (
        <p class="summary">
          <span>
            {t('versionInfo', { v: l.version, approval: '' })}
            <StatusBadge status={l.approval ?? 'pending'} prefix="approval_" />
          </span>
          {l.approvedVersion ? <span>{t('approvedVersionInfo', { v: l.approvedVersion })}</span> : null}
        </p>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div class="row">
          <Field label={t('letterTitle')} error={fieldError(error, 'title')}>
            {(p) => <input {...p} required value={title} disabled={!canEdit} onInput={(e) => setTitle(e.currentTarget.value)} />}
          </Field>
          <Field label={t('kind')} error={fieldError(error, 'kind')}>
            {(p) => (
              <select {...p} value={kind} disabled={!!letterId || !canEdit} onChange={(e) => setKind(e.currentTarget.value as 'letter' | 'form-task')}>
                <option value="letter">{t('kind_letter')}</option>
                <option value="form-task">{t('kind_form-task')}</option>
              </select>
            )}
          </Field>
          {kind === 'form-task' ? (
            <Field label={t('formTaskId')} error={fieldError(error, 'formTaskId')}>
              {(p) =>
                formTasks.length ? (
                  <select {...p} value={formTaskId} disabled={!!letterId} onChange={(e) => setFormTaskId(e.currentTarget.value)}>
                    <option value="">–</option>
                    {formTasks.map((f) => (
                      <option key={f.formTaskId} value={f.formTaskId}>
                        {f.title}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input {...p} value={formTaskId} disabled={!!letterId} onInput={(e) => setFormTaskId(e.currentTarget.value)} />
                )
              }
            </Field>
          ) : null}
        </div>
        <Field label={t('mergeFields')} error={parsed.invalid.length ? t('fieldsInvalid', { names: parsed.invalid.join(', ') }) : fieldError(error, 'fields')}>
          {(p) => <input {...p} value={fieldsText} disabled={!canEdit} placeholder="fornavn, klinikk" data-testid="merge-fields" onInput={(e) => setFieldsText(e.currentTarget.value)} />}
        </Field>
        <p class="hint">{t('mergeFieldsHint')}</p>
        {canEdit && undeclared.length ? (
          <p class="warning-box" data-testid="undeclared-fields">
            {t('fieldsUndeclared', { names: undeclared.map((n) => `{{${n}}}`).join(', ') })}{' '}
            <button type="button" class="small" onClick={() => setFieldsText([...parsed.fields, ...undeclared].join(', '))}>
              {t('fieldsDeclareThem')}
            </button>
          </p>
        ) : null}
        <div class="languages">
          {LANGS.map((lg) => {
            const mine = findings.filter((f) => f.language === lg);
            return (
              <fieldset key={lg} class="language" lang={lg === 'en' ? 'en' : lg}>
                <legend>{t(`lang_${lg}`)}</legend>
                <Field label={`${t('letterSubject')} (${lg})`} error={fieldError(error, `content.${lg}.subject`, `content.${lg}`)}>
                  {(p) => <input {...p} value={content[lg].subject} disabled={!canEdit} required={lg === 'nb'} onInput={(e) => setPart(lg, 'subject', e.currentTarget.value)} />}
                </Field>
                <Field label={`${t('letterBody')} (${lg})`} error={fieldError(error, `content.${lg}.body`)}>
                  {(p) => <textarea {...p} rows={10} value={content[lg].body} disabled={!canEdit} required={lg === 'nb'} onInput={(e) => setPart(lg, 'body', e.currentTarget.value)} />}
                </Field>
                {mine.length ? <FindingList findings={mine} /> : null}
                <h2 class="preview-h">
                  {t('preview')} ({lg})
                </h2>
                <LetterPreview lang={lg} content={content[lg]} kind={kind} project={project.data} findings={findings} />
              </fieldset>
            );
          })}
        </div>
        <ErrorBox error={error} />
        <Notice>{notice}</Notice>
        <div class="actions">
          {canEdit ? (
            <button type="submit" class="primary" disabled={busy}>
              {letterId ? t('saveLetter') : t('createLetter')}
            </button>
          ) : null}
          {letterId ? (
            <button type="button" onClick={() => void runCheck()} disabled={checking}>
              {checking ? t('checking') : t('runCheck')}
            </button>
          ) : null}
        </div>
      </form>
      <div role="status" aria-live="polite" class="check-result">
        {check ? (
          check.findings.length === 0 ? (
            <p class="ok">{t('checkOk')}</p>
          ) : (
            <>
              <h2>{t('checkFindings', { n: check.findings.length })}</h2>
              <FindingList findings={check.findings} />
            </>
          )
        ) : null}
      </div>
    </section>
  );
};
